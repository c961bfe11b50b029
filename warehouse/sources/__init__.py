"""What each source is, in one place (`registry.py`), and the two there are: SSI workbooks
(`ssi.py`) and Results Monitoring Tool project reports (`rmt.py`), registered in the order
the runs take them."""

from warehouse.sources import ssi  # noqa: F401, I001  (registering them, in this order)
from warehouse.sources import rmt  # noqa: F401, E402
