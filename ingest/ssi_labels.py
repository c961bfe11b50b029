"""The SSI workbook vocabulary in its four languages (../shared/specs/ssi-workbook.md).

One table per concept, keyed by the code used in every layer after parsing; each
code maps to its label in EN, FR, ES and PT. The parser matches labels after
`normalise_label`, so case, accents and surrounding spaces never matter.
"""

from __future__ import annotations

import re
import unicodedata

from ingest.codes import BENEFIT_FORMS, BRANCHES, SCHEME_TYPES

__all__ = ["BENEFIT_FORMS", "SCHEME_TYPES"]  # re-exported: the workbook's code columns

LANGUAGES = ("en", "fr", "es", "pt")

SHEETS: dict[str, tuple[str, str, str, str]] = {
    "cover": ("Cover", "Couverture", "Portada", "Capa"),
    "context": ("Context", "Contexte", "Contexto", "Contexto"),
    "schemes": ("Schemes", "Régimes", "Regímenes", "Regimes"),
    "contributors": ("Contributors", "Cotisants", "Cotizantes", "Contribuintes"),
    "beneficiaries": ("Beneficiaries", "Bénéficiaires", "Beneficiarios", "Beneficiários"),
    "expenditure": ("Expenditure", "Dépenses", "Gastos", "Despesas"),
}
REQUIRED_SHEETS = ("cover", "context", "schemes", "beneficiaries")

COVER_KEYS: dict[str, tuple[str, str, str, str]] = {
    "country_iso3": ("ISO3 country code", "Code pays ISO3", "Código de país ISO3",
                     "Código do país ISO3"),
    "country_name": ("Country", "Pays", "País", "País"),
    "reference_year": ("Reference year", "Année de référence", "Año de referencia",
                       "Ano de referência"),
    "revision": ("Revision", "Révision", "Revisión", "Revisão"),
    "submission_date": ("Submission date", "Date de soumission", "Fecha de envío",
                        "Data de envio"),
    "institution": ("Reporting institution", "Institution déclarante",
                    "Institución informante", "Instituição informante"),
    "contact_email": ("Contact e-mail", "Courriel de contact", "Correo de contacto",
                      "E-mail de contacto"),
    "currency": ("Currency (ISO 4217)", "Monnaie (ISO 4217)", "Moneda (ISO 4217)",
                 "Moeda (ISO 4217)"),
}

_SCHEME = ("Scheme code", "Code du régime", "Código del régimen", "Código do regime")
_FUNCTION = ("Function", "Fonction", "Función", "Função")
_TOTAL = ("Total", "Total", "Total", "Total")
_WOMEN = ("Women", "Femmes", "Mujeres", "Mulheres")
_MEN = ("Men", "Hommes", "Hombres", "Homens")

COLUMNS: dict[str, dict[str, tuple[str, str, str, str]]] = {
    "context": {
        "item": ("Item", "Élément", "Concepto", "Item"),
        "total": _TOTAL,
        "women": _WOMEN,
        "men": _MEN,
    },
    "schemes": {
        "scheme_id": _SCHEME,
        "scheme_name": ("Scheme name", "Nom du régime", "Nombre del régimen", "Nome do regime"),
        "scheme_type": ("Scheme type", "Type de régime", "Tipo de régimen", "Tipo de regime"),
        "institution": ("Administering institution", "Institution gestionnaire",
                        "Institución administradora", "Instituição gestora"),
        "legal_basis": ("Legal basis", "Base légale", "Base legal", "Base legal"),
        "start_year": ("Start year", "Année de création", "Año de inicio", "Ano de início"),
    },
    "contributors": {
        "scheme_id": _SCHEME,
        "function": _FUNCTION,
        "total": _TOTAL,
        "women": _WOMEN,
        "men": _MEN,
    },
    "beneficiaries": {
        "scheme_id": _SCHEME,
        "function": _FUNCTION,
        "benefit_form": ("Benefit form", "Forme de prestation", "Forma de prestación",
                         "Forma de benefício"),
        "total": _TOTAL,
        "women": _WOMEN,
        "men": _MEN,
    },
    "expenditure": {
        "scheme_id": _SCHEME,
        "function": _FUNCTION,
        "benefits_cash": ("Cash benefits", "Prestations en espèces", "Prestaciones en efectivo",
                          "Benefícios em dinheiro"),
        "benefits_kind": ("Benefits in kind", "Prestations en nature", "Prestaciones en especie",
                          "Benefícios em espécie"),
        "admin": ("Administrative costs", "Frais d'administration", "Gastos administrativos",
                  "Custos administrativos"),
    },
}

CONTEXT_ITEMS = (
    "POP_TOTAL", "POP_0_14", "POP_15_64", "POP_PENSIONABLE", "BIRTHS", "DIS_SEVERE",
    "UNEMPLOYED", "EMPLOYED", "GDP", "GOV_EXP",
)
MONEY_ITEMS = ("GDP", "GOV_EXP")
# Functions are the branches of social protection, shared with project reports.
FUNCTIONS = BRANCHES

# Cells that mean "not reported"; compared after normalise_label. Missing is never zero.
MISSING_MARKERS = frozenset(
    ["", "..", "...", "-", "–", "—", "n.a.", "n/a", "na", "nd", "n.d.", "s.d.", "s/d"]
)
# A first cell whose first word is one of these ends a table: the notes under it are not
# data. The contract names Source, Note, Nota and Remarque; Spanish and Portuguese
# workbooks write their sources as Fuente and Fonte, and plurals are common.
END_OF_TABLE = re.compile(r"(source|note|nota|remarque|fuente|fonte)s?\b")


def normalise_label(text: object) -> str:
    """Fold a label for matching: strip, lower-case, drop accents, squeeze spaces."""
    folded = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    return " ".join(folded.lower().replace("\u2019", "'").split())


def label(table: dict[str, tuple[str, str, str, str]], code: str, language: str) -> str:
    """The label of `code` in `language` (used to write workbooks)."""
    return table[code][LANGUAGES.index(language)]


def lookup(table: dict[str, tuple[str, str, str, str]]) -> dict[str, tuple[str, set[str]]]:
    """Normalised label -> (code, languages it belongs to)."""
    out: dict[str, tuple[str, set[str]]] = {}
    for code, labels in table.items():
        for language, text in zip(LANGUAGES, labels, strict=True):
            key = normalise_label(text)
            out.setdefault(key, (code, set()))[1].add(language)
    return out
