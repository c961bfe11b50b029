"""The pages people open in a browser: one skeleton and one stylesheet for all of them."""
