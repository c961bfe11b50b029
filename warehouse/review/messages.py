"""Every text of the feedback workbook sent back to a focal point, in the four languages.

One catalogue: key -> {en, fr, es, pt}. `rule_<code>` says which rule a problem broke and
`do_<code>` what the focal point can do about it, for every problem code of the parser
(`ingest/ssi_workbook.py`), the landing and load step (`ingest/landing.py`,
`ingest/ssi.py`), the source gate (`expectations/sources.py`) and every check of
`ops.submission_checks` (seed `plausibility_thresholds`). A `{name}` in a text is filled in
by `warehouse/review/feedback.py`; every language of a key has the same ones
(tests/test_feedback.py checks that no key lacks a language). Portuguese is the
European usage of Cabo Verde, Mozambique and Timor-Leste.
"""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    # --- The problems sheet ------------------------------------------------------------------
    "sheet_title": {"en": "Problems", "fr": "Problèmes", "es": "Problemas", "pt": "Problemas"},
    "title": {
        "en": "Social Security Inquiry: feedback on your workbook",
        "fr": "Enquête sur la sécurité sociale : retour sur votre classeur",
        "es": "Encuesta de Seguridad Social: comentarios sobre su libro",
        "pt": "Inquérito de Segurança Social: comentários sobre o seu livro",
    },
    "label_file": {"en": "File", "fr": "Fichier", "es": "Archivo", "pt": "Ficheiro"},
    "label_submission": {"en": "Submission", "fr": "Soumission", "es": "Envío", "pt": "Envio"},
    "submission_value": {
        "en": "{country} {year}, revision {revision}",
        "fr": "{country} {year}, révision {revision}",
        "es": "{country} {year}, revisión {revision}",
        "pt": "{country} {year}, revisão {revision}",
    },
    "label_status": {"en": "Status", "fr": "Statut", "es": "Estado", "pt": "Estado"},
    "label_date": {"en": "Date", "fr": "Date", "es": "Fecha", "pt": "Data"},
    "status_rejected": {
        "en": "Not accepted: the workbook does not follow the rules of the SSI template",
        "fr": "Non accepté : le classeur ne respecte pas les règles du modèle de l'enquête",
        "es": "No aceptado: el libro no respeta las reglas de la plantilla de la encuesta",
        "pt": "Não aceite: o livro não respeita as regras do modelo do inquérito",
    },
    "status_quarantined": {
        "en": "On hold: the workbook was read, but some figures failed a quality check",
        "fr": "En attente : le classeur a été lu, mais des chiffres n'ont pas passé un "
              "contrôle de qualité",
        "es": "En espera: el libro se leyó, pero algunas cifras no superaron un control de "
              "calidad",
        "pt": "Em espera: o livro foi lido, mas alguns números não passaram num controlo de "
              "qualidade",
    },
    "status_loaded": {
        "en": "Accepted and published, with figures to confirm",
        "fr": "Accepté et publié, avec des chiffres à confirmer",
        "es": "Aceptado y publicado, con cifras por confirmar",
        "pt": "Aceite e publicado, com números a confirmar",
    },
    "intro_rejected": {
        "en": "Please correct in your workbook every problem listed below and send it again. "
              "The cells concerned are highlighted, with a comment, in the copy of your "
              "sheets that follows.",
        "fr": "Veuillez corriger dans votre classeur chacun des problèmes ci-dessous, puis le "
              "renvoyer. Les cellules concernées sont surlignées et commentées dans la copie "
              "de vos feuilles qui suit.",
        "es": "Corrija en su libro cada uno de los problemas indicados abajo y envíelo de "
              "nuevo. Las celdas afectadas están resaltadas, con un comentario, en la copia de "
              "sus hojas que sigue.",
        "pt": "Corrija no seu livro cada um dos problemas indicados abaixo e envie-o de novo. "
              "As células em causa estão destacadas, com um comentário, na cópia das suas "
              "folhas que se segue.",
    },
    "intro_quarantined": {
        "en": "Please check the figures listed below: correct them and send the workbook "
              "again, or confirm them to the ILO, which can then accept them as they are. The "
              "cells concerned are highlighted, with a comment, in the copy of your sheets "
              "that follows.",
        "fr": "Veuillez vérifier les chiffres ci-dessous : corrigez-les et renvoyez le "
              "classeur, ou confirmez-les au BIT, qui pourra alors les accepter tels quels. "
              "Les cellules concernées sont surlignées et commentées dans la copie de vos "
              "feuilles qui suit.",
        "es": "Compruebe las cifras indicadas abajo: corríjalas y envíe de nuevo el libro, o "
              "confírmelas a la OIT, que podrá entonces aceptarlas tal como están. Las celdas "
              "afectadas están resaltadas, con un comentario, en la copia de sus hojas que "
              "sigue.",
        "pt": "Verifique os números indicados abaixo: corrija-os e envie de novo o livro, ou "
              "confirme-os à OIT, que os poderá então aceitar tal como estão. As células em "
              "causa estão destacadas, com um comentário, na cópia das suas folhas que se "
              "segue.",
    },
    "intro_loaded": {
        "en": "Your workbook was accepted. Some figures differ much from your previous "
              "submission: please confirm them to the ILO, or send a correction as a new "
              "workbook with the next revision number. The cells concerned are highlighted, "
              "with a comment, in the copy of your sheets that follows.",
        "fr": "Votre classeur a été accepté. Certains chiffres s'écartent beaucoup de votre "
              "soumission précédente : veuillez les confirmer au BIT, ou envoyer une "
              "correction dans un nouveau classeur portant le numéro de révision suivant. Les "
              "cellules concernées sont surlignées et commentées dans la copie de vos "
              "feuilles qui suit.",
        "es": "Su libro fue aceptado. Algunas cifras difieren mucho de su envío anterior: "
              "confírmelas a la OIT, o envíe una corrección en un libro nuevo con el número "
              "de revisión siguiente. Las celdas afectadas están resaltadas, con un "
              "comentario, en la copia de sus hojas que sigue.",
        "pt": "O seu livro foi aceite. Alguns números diferem muito do seu envio anterior: "
              "confirme-os à OIT, ou envie uma correção num livro novo com o número de "
              "revisão seguinte. As células em causa estão destacadas, com um comentário, na "
              "cópia das suas folhas que se segue.",
    },
    "note_no_copy": {
        "en": "The file could not be read as a workbook, so no copy of its sheets follows.",
        "fr": "Le fichier n'a pas pu être lu comme un classeur : aucune copie de ses feuilles "
              "ne suit.",
        "es": "El archivo no pudo leerse como un libro, por lo que no sigue ninguna copia de "
              "sus hojas.",
        "pt": "O ficheiro não pôde ser lido como um livro, pelo que não se segue nenhuma "
              "cópia das suas folhas.",
    },
    "col_number": {"en": "No.", "fr": "N°", "es": "N.º", "pt": "N.º"},
    "col_kind": {"en": "Type", "fr": "Type", "es": "Tipo", "pt": "Tipo"},
    "col_sheet": {"en": "Sheet", "fr": "Feuille", "es": "Hoja", "pt": "Folha"},
    "col_cell": {"en": "Cell", "fr": "Cellule", "es": "Celda", "pt": "Célula"},
    "col_value": {"en": "Value found", "fr": "Valeur trouvée", "es": "Valor encontrado",
                  "pt": "Valor encontrado"},
    "col_rule": {"en": "Rule", "fr": "Règle", "es": "Regla", "pt": "Regra"},
    "col_todo": {"en": "What to do", "fr": "Que faire", "es": "Qué hacer",
                 "pt": "O que fazer"},
    "col_detail": {
        "en": "Message of the check (English)",
        "fr": "Message du contrôle (en anglais)",
        "es": "Mensaje del control (en inglés)",
        "pt": "Mensagem do controlo (em inglês)",
    },
    "kind_error": {"en": "Error", "fr": "Erreur", "es": "Error", "pt": "Erro"},
    "kind_warning": {"en": "Warning", "fr": "Avertissement", "es": "Advertencia",
                     "pt": "Aviso"},
    "comment_author": {"en": "ILO", "fr": "BIT", "es": "OIT", "pt": "OIT"},
    "comment": {
        "en": "{kind}: {rule}\nWhat to do: {todo}",
        "fr": "{kind} : {rule}\nQue faire : {todo}",
        "es": "{kind}: {rule}\nQué hacer: {todo}",
        "pt": "{kind}: {rule}\nO que fazer: {todo}",
    },
    "sex_SEX_T": {"en": "total", "fr": "ensemble", "es": "total", "pt": "total"},
    "sex_SEX_F": {"en": "women", "fr": "femmes", "es": "mujeres", "pt": "mulheres"},
    "sex_SEX_M": {"en": "men", "fr": "hommes", "es": "hombres", "pt": "homens"},
    "years_one": {"en": "1 year", "fr": "1 an", "es": "1 año", "pt": "1 ano"},
    "years_many": {"en": "{n} years", "fr": "{n} ans", "es": "{n} años", "pt": "{n} anos"},
    # --- The SDG 1.3.1 series (seed sdg131_series) -------------------------------------------
    "series_SOC_CONTIG_TOTAL": {
        "en": "population covered by at least one benefit",
        "fr": "population couverte par au moins une prestation",
        "es": "población cubierta por al menos una prestación",
        "pt": "população coberta por pelo menos uma prestação",
    },
    "series_SOC_CONTIG_CHILD": {"en": "children", "fr": "enfants", "es": "niños y niñas",
                                "pt": "crianças"},
    "series_SOC_CONTIG_MAT": {
        "en": "mothers with newborns", "fr": "mères de nouveau-nés",
        "es": "madres con recién nacidos", "pt": "mães com recém-nascidos",
    },
    "series_SOC_CONTIG_DISAB": {
        "en": "persons with severe disabilities", "fr": "personnes lourdement handicapées",
        "es": "personas con discapacidad grave", "pt": "pessoas com deficiência grave",
    },
    "series_SOC_CONTIG_UNE": {
        "en": "unemployed persons", "fr": "chômeurs", "es": "personas desempleadas",
        "pt": "pessoas desempregadas",
    },
    "series_SOC_CONTIG_PENSION": {
        "en": "older persons", "fr": "personnes âgées", "es": "personas mayores",
        "pt": "pessoas idosas",
    },
    "series_SOC_CONTIG_VULN": {
        "en": "vulnerable persons", "fr": "personnes vulnérables",
        "es": "personas vulnerables", "pt": "pessoas vulneráveis",
    },
    "series_SOC_CONTIG_INJ": {
        "en": "employment injury", "fr": "accidents du travail",
        "es": "accidentes del trabajo", "pt": "acidentes de trabalho",
    },
    # --- A problem code this catalogue does not know yet (its English message says it all) ---
    "rule_other": {
        "en": "The workbook breaks a rule of the inquiry (the message in English says which).",
        "fr": "Le classeur ne respecte pas une règle de l'enquête (le message en anglais "
              "précise laquelle).",
        "es": "El libro no respeta una regla de la encuesta (el mensaje en inglés indica "
              "cuál).",
        "pt": "O livro não respeita uma regra do inquérito (a mensagem em inglês indica "
              "qual).",
    },
    "do_other": {
        "en": "Correct what the message in English says and send the workbook again; the ILO "
              "can help.",
        "fr": "Corrigez ce qu'indique le message en anglais et renvoyez le classeur ; le BIT "
              "peut vous aider.",
        "es": "Corrija lo que indica el mensaje en inglés y envíe de nuevo el libro; la OIT "
              "puede ayudarle.",
        "pt": "Corrija o que indica a mensagem em inglês e envie de novo o livro; a OIT pode "
              "ajudar.",
    },
    # --- Problems of the parser (ingest/ssi_workbook.py) -------------------------------------
    "rule_not_a_number": {
        "en": "A number is expected in this cell.",
        "fr": "Un nombre est attendu dans cette cellule.",
        "es": "Se espera un número en esta celda.",
        "pt": "Espera-se um número nesta célula.",
    },
    "do_not_a_number": {
        "en": "Type the figure in digits (e.g. 1,234.5) or as a number cell, without words "
              "such as 'about'; write '..' if it is not available.",
        "fr": "Saisissez la valeur en chiffres (par ex. 1 234,5) ou comme cellule numérique, "
              "sans mots comme « environ » ; écrivez « .. » si elle n'est pas disponible.",
        "es": "Escriba la cifra en dígitos (p. ej. 1.234,5) o como celda numérica, sin "
              "palabras como «aproximadamente»; escriba «..» si no está disponible.",
        "pt": "Escreva o número em algarismos (p. ex. 1 234,5) ou como célula numérica, sem "
              "palavras como «cerca de»; escreva «..» se não estiver disponível.",
    },
    "rule_negative_value": {
        "en": "Counts of persons and amounts cannot be negative.",
        "fr": "Les effectifs et les montants ne peuvent pas être négatifs.",
        "es": "Los números de personas y los montos no pueden ser negativos.",
        "pt": "Os números de pessoas e os montantes não podem ser negativos.",
    },
    "do_negative_value": {
        "en": "Correct the figure, or write '..' if it is not known.",
        "fr": "Corrigez le chiffre, ou écrivez « .. » s'il n'est pas connu.",
        "es": "Corrija la cifra, o escriba «..» si no se conoce.",
        "pt": "Corrija o número, ou escreva «..» se não for conhecido.",
    },
    "rule_not_whole_number": {
        "en": "A number of persons is a whole number.",
        "fr": "Un nombre de personnes est un nombre entier.",
        "es": "Un número de personas es un número entero.",
        "pt": "Um número de pessoas é um número inteiro.",
    },
    "do_not_whole_number": {
        "en": "Give the number of persons without decimals.",
        "fr": "Indiquez le nombre de personnes sans décimales.",
        "es": "Indique el número de personas sin decimales.",
        "pt": "Indique o número de pessoas sem casas decimais.",
    },
    "rule_unknown_scheme": {
        "en": "Every scheme code used here must be listed in the 'Schemes' sheet.",
        "fr": "Chaque code de régime utilisé ici doit figurer dans la feuille « Régimes ».",
        "es": "Cada código de régimen usado aquí debe figurar en la hoja «Regímenes».",
        "pt": "Cada código de regime usado aqui deve constar da folha «Regimes».",
    },
    "do_unknown_scheme": {
        "en": "Add the scheme (code, name and type) to the 'Schemes' sheet, or correct the "
              "code to that of a scheme listed there.",
        "fr": "Ajoutez le régime (code, nom et type) dans la feuille « Régimes », ou corrigez "
              "le code pour celui d'un régime qui y figure.",
        "es": "Añada el régimen (código, nombre y tipo) en la hoja «Regímenes», o corrija el "
              "código por el de un régimen que figure allí.",
        "pt": "Acrescente o regime (código, nome e tipo) na folha «Regimes», ou corrija o "
              "código para o de um regime que lá conste.",
    },
    "rule_unknown_code": {
        "en": "Only the codes of the SSI template are accepted in this column.",
        "fr": "Seuls les codes du modèle de l'enquête sont acceptés dans cette colonne.",
        "es": "En esta columna solo se aceptan los códigos de la plantilla de la encuesta.",
        "pt": "Nesta coluna só são aceites os códigos do modelo do inquérito.",
    },
    "do_unknown_code": {
        "en": "Use one of the codes of the template (e.g. OLD, CHILD, CASH_PERIODIC, SI; for "
              "a currency, its ISO 4217 code such as USD).",
        "fr": "Utilisez l'un des codes du modèle (par ex. OLD, CHILD, CASH_PERIODIC, SI ; pour "
              "une monnaie, son code ISO 4217, comme XOF).",
        "es": "Utilice uno de los códigos de la plantilla (p. ej. OLD, CHILD, CASH_PERIODIC, "
              "SI; para una moneda, su código ISO 4217, como USD).",
        "pt": "Use um dos códigos do modelo (p. ex. OLD, CHILD, CASH_PERIODIC, SI; para uma "
              "moeda, o seu código ISO 4217, como CVE).",
    },
    "rule_unknown_country": {
        "en": "The country is given by its ISO 3166-1 alpha-3 code.",
        "fr": "Le pays est indiqué par son code ISO 3166-1 alpha-3.",
        "es": "El país se indica con su código ISO 3166-1 alfa-3.",
        "pt": "O país é indicado pelo seu código ISO 3166-1 alfa-3.",
    },
    "do_unknown_country": {
        "en": "Write the three-letter code of your country (e.g. KHM for Cambodia).",
        "fr": "Écrivez le code à trois lettres de votre pays (par ex. TGO pour le Togo).",
        "es": "Escriba el código de tres letras de su país (p. ej. HND para Honduras).",
        "pt": "Escreva o código de três letras do seu país (p. ex. MOZ para Moçambique).",
    },
    "rule_missing_value": {
        "en": "This cell is required.",
        "fr": "Cette cellule est obligatoire.",
        "es": "Esta celda es obligatoria.",
        "pt": "Esta célula é obrigatória.",
    },
    "do_missing_value": {
        "en": "Fill it in (on the cover: the country code, the reference year, and the "
              "currency when amounts are given; in a table: the codes of every row).",
        "fr": "Remplissez-la (sur la couverture : le code pays, l'année de référence, et la "
              "monnaie quand des montants sont indiqués ; dans un tableau : les codes de "
              "chaque ligne).",
        "es": "Rellénela (en la portada: el código de país, el año de referencia y la moneda "
              "cuando se indican montos; en una tabla: los códigos de cada fila).",
        "pt": "Preencha-a (na capa: o código do país, o ano de referência e a moeda quando "
              "são indicados montantes; numa tabela: os códigos de cada linha).",
    },
    "rule_year_out_of_range": {
        "en": "The reference year is between 1990 and the current year.",
        "fr": "L'année de référence est comprise entre 1990 et l'année en cours.",
        "es": "El año de referencia está entre 1990 y el año en curso.",
        "pt": "O ano de referência está entre 1990 e o ano corrente.",
    },
    "do_year_out_of_range": {
        "en": "Give the year the figures refer to (e.g. 2023).",
        "fr": "Indiquez l'année à laquelle se rapportent les chiffres (par ex. 2023).",
        "es": "Indique el año al que se refieren las cifras (p. ej. 2023).",
        "pt": "Indique o ano a que os números se referem (p. ex. 2023).",
    },
    "rule_invalid_revision": {
        "en": "The revision is a whole number, 1 or more.",
        "fr": "La révision est un nombre entier, égal ou supérieur à 1.",
        "es": "La revisión es un número entero, 1 o más.",
        "pt": "A revisão é um número inteiro, 1 ou mais.",
    },
    "do_invalid_revision": {
        "en": "Number a first submission 1, and each correction one more than the last.",
        "fr": "Numérotez 1 une première soumission, et chaque correction un de plus que la "
              "précédente.",
        "es": "Numere 1 un primer envío, y cada corrección uno más que la anterior.",
        "pt": "Numere 1 um primeiro envio, e cada correção um a mais que a anterior.",
    },
    "rule_invalid_date": {
        "en": "A date is expected in this cell.",
        "fr": "Une date est attendue dans cette cellule.",
        "es": "Se espera una fecha en esta celda.",
        "pt": "Espera-se uma data nesta célula.",
    },
    "do_invalid_date": {
        "en": "Write the date as YYYY-MM-DD (e.g. 2024-03-01) or enter it as a date.",
        "fr": "Écrivez la date sous la forme AAAA-MM-JJ (par ex. 2024-03-01) ou saisissez-la "
              "comme une date.",
        "es": "Escriba la fecha como AAAA-MM-DD (p. ej. 2024-03-01) o introdúzcala como "
              "fecha.",
        "pt": "Escreva a data como AAAA-MM-DD (p. ex. 2024-03-01) ou introduza-a como data.",
    },
    "rule_sex_split_exceeds_total": {
        "en": "Women and men together cannot be more than the total.",
        "fr": "Femmes et hommes ensemble ne peuvent pas dépasser le total.",
        "es": "Mujeres y hombres juntos no pueden superar el total.",
        "pt": "Mulheres e homens juntos não podem exceder o total.",
    },
    "do_sex_split_exceeds_total": {
        "en": "Correct the total or the figures for women and men.",
        "fr": "Corrigez le total ou les chiffres des femmes et des hommes.",
        "es": "Corrija el total o las cifras de mujeres y hombres.",
        "pt": "Corrija o total ou os números de mulheres e homens.",
    },
    "rule_duplicate_scheme": {
        "en": "Each scheme is listed once, with its own code.",
        "fr": "Chaque régime figure une seule fois, avec son propre code.",
        "es": "Cada régimen figura una sola vez, con su propio código.",
        "pt": "Cada regime consta uma só vez, com o seu próprio código.",
    },
    "do_duplicate_scheme": {
        "en": "Give each scheme its own code and list it once.",
        "fr": "Donnez à chaque régime son propre code et ne le listez qu'une fois.",
        "es": "Asigne a cada régimen su propio código y enumérelo una sola vez.",
        "pt": "Dê a cada regime o seu próprio código e liste-o uma só vez.",
    },
    "rule_duplicate_item": {
        "en": "Each item of the context sheet is on one row only.",
        "fr": "Chaque élément de la feuille « Contexte » figure sur une seule ligne.",
        "es": "Cada concepto de la hoja «Contexto» figura en una sola fila.",
        "pt": "Cada item da folha «Contexto» consta de uma só linha.",
    },
    "do_duplicate_item": {
        "en": "Keep one row per item and delete the others.",
        "fr": "Gardez une ligne par élément et supprimez les autres.",
        "es": "Conserve una fila por concepto y elimine las demás.",
        "pt": "Mantenha uma linha por item e apague as outras.",
    },
    "rule_missing_sheet": {
        "en": "The sheets 'Cover', 'Context', 'Schemes' and 'Beneficiaries' are required.",
        "fr": "Les feuilles « Couverture », « Contexte », « Régimes » et « Bénéficiaires » "
              "sont obligatoires.",
        "es": "Las hojas «Portada», «Contexto», «Regímenes» y «Beneficiarios» son "
              "obligatorias.",
        "pt": "As folhas «Capa», «Contexto», «Regimes» e «Beneficiários» são obrigatórias.",
    },
    "do_missing_sheet": {
        "en": "Add the missing sheet from the SSI template, or give the sheet that holds it "
              "the template's name.",
        "fr": "Ajoutez la feuille manquante à partir du modèle de l'enquête, ou donnez à la "
              "feuille qui la contient le nom du modèle.",
        "es": "Añada la hoja que falta a partir de la plantilla de la encuesta, o dé a la hoja "
              "que la contiene el nombre de la plantilla.",
        "pt": "Acrescente a folha em falta a partir do modelo do inquérito, ou dê à folha que "
              "a contém o nome do modelo.",
    },
    "rule_ambiguous_sheet": {
        "en": "Only one sheet may hold each table.",
        "fr": "Une seule feuille peut contenir chaque tableau.",
        "es": "Solo una hoja puede contener cada tabla.",
        "pt": "Só uma folha pode conter cada tabela.",
    },
    "do_ambiguous_sheet": {
        "en": "Delete the other copies of the sheet (hidden ones too), or rename them (e.g. "
              "'Old ...'), and send again.",
        "fr": "Supprimez les autres copies de la feuille (y compris masquées), ou "
              "renommez-les (par ex. « Ancien ... »), puis renvoyez le classeur.",
        "es": "Elimine las demás copias de la hoja (también las ocultas), o cámbieles el "
              "nombre (p. ej. «Antigua ...»), y envíe de nuevo.",
        "pt": "Apague as outras cópias da folha (incluindo as ocultas), ou mude-lhes o nome "
              "(p. ex. «Antiga ...»), e envie de novo.",
    },
    "rule_missing_header": {
        "en": "Each table has, above its figures, one row with the column labels of the "
              "template.",
        "fr": "Chaque tableau a, au-dessus de ses chiffres, une ligne avec les intitulés de "
              "colonne du modèle.",
        "es": "Cada tabla tiene, encima de sus cifras, una fila con los títulos de columna de "
              "la plantilla.",
        "pt": "Cada tabela tem, por cima dos seus números, uma linha com os títulos de coluna "
              "do modelo.",
    },
    "do_missing_header": {
        "en": "Put the column labels of the SSI template in one row above the figures.",
        "fr": "Placez les intitulés de colonne du modèle sur une ligne au-dessus des "
              "chiffres.",
        "es": "Ponga los títulos de columna de la plantilla en una fila encima de las cifras.",
        "pt": "Coloque os títulos de coluna do modelo numa linha por cima dos números.",
    },
    "rule_missing_column": {
        "en": "A required column of the table is missing.",
        "fr": "Une colonne obligatoire du tableau est absente.",
        "es": "Falta una columna obligatoria de la tabla.",
        "pt": "Falta uma coluna obrigatória da tabela.",
    },
    "do_missing_column": {
        "en": "Add the column, or correct its label to the template's (the message in English "
              "names it).",
        "fr": "Ajoutez la colonne, ou corrigez son intitulé pour celui du modèle (le message "
              "en anglais la nomme).",
        "es": "Añada la columna, o corrija su título por el de la plantilla (el mensaje en "
              "inglés la nombra).",
        "pt": "Acrescente a coluna, ou corrija o seu título para o do modelo (a mensagem em "
              "inglês indica-a).",
    },
    "rule_formula_error": {
        "en": "The cell shows an error instead of a figure.",
        "fr": "La cellule affiche une erreur au lieu d'un chiffre.",
        "es": "La celda muestra un error en lugar de una cifra.",
        "pt": "A célula mostra um erro em vez de um número.",
    },
    "do_formula_error": {
        "en": "Correct the formula or type the figure (or '..' if it is not available), and "
              "send again.",
        "fr": "Corrigez la formule ou saisissez le chiffre (ou « .. » s'il n'est pas "
              "disponible), puis renvoyez le classeur.",
        "es": "Corrija la fórmula o escriba la cifra (o «..» si no está disponible), y envíe "
              "de nuevo.",
        "pt": "Corrija a fórmula ou escreva o número (ou «..» se não estiver disponível), e "
              "envie de novo.",
    },
    "rule_formula_without_value": {
        "en": "The formula has no saved result.",
        "fr": "La formule n'a pas de résultat enregistré.",
        "es": "La fórmula no tiene un resultado guardado.",
        "pt": "A fórmula não tem um resultado guardado.",
    },
    "do_formula_without_value": {
        "en": "Open the workbook in Excel or LibreOffice, let it calculate, save it and send "
              "it again.",
        "fr": "Ouvrez le classeur dans Excel ou LibreOffice, laissez-le calculer, "
              "enregistrez-le et renvoyez-le.",
        "es": "Abra el libro en Excel o LibreOffice, deje que calcule, guárdelo y envíelo de "
              "nuevo.",
        "pt": "Abra o livro no Excel ou no LibreOffice, deixe-o calcular, guarde-o e envie-o "
              "de novo.",
    },
    "rule_too_many_rows": {
        "en": "A sheet may use at most 100,000 rows.",
        "fr": "Une feuille peut utiliser au plus 100 000 lignes.",
        "es": "Una hoja puede usar como máximo 100.000 filas.",
        "pt": "Uma folha pode usar no máximo 100 000 linhas.",
    },
    "do_too_many_rows": {
        "en": "Delete the rows below the table (even empty or only formatted ones), save and "
              "send again.",
        "fr": "Supprimez les lignes sous le tableau (même vides ou seulement mises en forme), "
              "enregistrez et renvoyez le classeur.",
        "es": "Elimine las filas debajo de la tabla (incluso las vacías o solo con formato), "
              "guarde y envíe de nuevo.",
        "pt": "Apague as linhas abaixo da tabela (mesmo as vazias ou só formatadas), guarde e "
              "envie de novo.",
    },
    "rule_too_many_cells": {
        "en": "A sheet may span at most 2,000,000 cells (rows x columns, from A1 to its last "
              "used cell).",
        "fr": "Une feuille peut s'étendre sur au plus 2 000 000 de cellules (lignes x "
              "colonnes, de A1 à sa dernière cellule utilisée).",
        "es": "Una hoja puede abarcar como máximo 2.000.000 de celdas (filas x columnas, de A1 "
              "a su última celda usada).",
        "pt": "Uma folha pode abranger no máximo 2 000 000 de células (linhas x colunas, de A1 "
              "à sua última célula usada).",
    },
    "do_too_many_cells": {
        "en": "Delete the rows and columns beyond the table (even empty or only formatted "
              "ones), save and send again.",
        "fr": "Supprimez les lignes et les colonnes au-delà du tableau (même vides ou "
              "seulement mises en forme), enregistrez et renvoyez le classeur.",
        "es": "Elimine las filas y columnas más allá de la tabla (incluso las vacías o solo "
              "con formato), guarde y envíe de nuevo.",
        "pt": "Elimine as linhas e colunas para além da tabela (mesmo as vazias ou só "
              "formatadas), guarde e envie de novo.",
    },
    "rule_number_too_large": {
        "en": "A figure is larger than the inquiry allows: at most 10,000,000,000 persons, "
              "10^18 in national currency, a four-digit year.",
        "fr": "Un chiffre dépasse ce que l'enquête admet : au plus 10 000 000 000 de "
              "personnes, 10^18 en monnaie nationale, une année à quatre chiffres.",
        "es": "Una cifra supera lo que admite la encuesta: como máximo 10.000.000.000 de "
              "personas, 10^18 en moneda nacional, un año de cuatro cifras.",
        "pt": "Um número excede o que o inquérito admite: no máximo 10 000 000 000 de "
              "pessoas, 10^18 em moeda nacional, um ano de quatro algarismos.",
    },
    "do_number_too_large": {
        "en": "Correct the figure (check its unit and that no digits were repeated), or write "
              "'..' if it is not known, and send again.",
        "fr": "Corrigez le chiffre (vérifiez son unité et qu'aucun chiffre n'a été répété), ou "
              "écrivez '..' s'il n'est pas connu, et renvoyez le classeur.",
        "es": "Corrija la cifra (verifique su unidad y que no se hayan repetido dígitos), o "
              "escriba '..' si no se conoce, y envíe de nuevo.",
        "pt": "Corrija o número (verifique a sua unidade e que nenhum algarismo foi "
              "repetido), ou escreva '..' se não for conhecido, e envie de novo.",
    },
    "rule_bad_file_name": {
        "en": "The file's name is not valid Unicode text (UTF-8), so it cannot be recorded as "
              "it was written.",
        "fr": "Le nom du fichier n'est pas un texte Unicode valide (UTF-8) : il ne peut pas "
              "être enregistré tel qu'il a été écrit.",
        "es": "El nombre del archivo no es texto Unicode válido (UTF-8): no puede registrarse "
              "tal como fue escrito.",
        "pt": "O nome do ficheiro não é texto Unicode válido (UTF-8): não pode ser registado "
              "tal como foi escrito.",
    },
    "do_bad_file_name": {
        "en": "Rename the file using letters without accents, digits, '-' and '_' (e.g. "
              "SEN_2022_r1.xlsx) and send it again.",
        "fr": "Renommez le fichier avec des lettres sans accents, des chiffres, '-' et '_' "
              "(par ex. SEN_2022_r1.xlsx) et renvoyez-le.",
        "es": "Cambie el nombre del archivo usando letras sin tildes, dígitos, '-' y '_' (p. "
              "ej. SEN_2022_r1.xlsx) y envíelo de nuevo.",
        "pt": "Mude o nome do ficheiro usando letras sem acentos, algarismos, '-' e '_' (p. "
              "ex. SEN_2022_r1.xlsx) e envie-o de novo.",
    },
    "rule_name_too_long": {
        "en": "A file's name may have at most 200 characters.",
        "fr": "Le nom d'un fichier peut compter au plus 200 caractères.",
        "es": "El nombre de un archivo puede tener como máximo 200 caracteres.",
        "pt": "O nome de um ficheiro pode ter no máximo 200 caracteres.",
    },
    "do_name_too_long": {
        "en": "Give the file a shorter name (e.g. KHM_2022_r1.xlsx) and send it again.",
        "fr": "Donnez au fichier un nom plus court (par ex. KHM_2022_r1.xlsx) et renvoyez-le.",
        "es": "Dé al archivo un nombre más corto (p. ej. KHM_2022_r1.xlsx) y envíelo de "
              "nuevo.",
        "pt": "Dê ao ficheiro um nome mais curto (p. ex. KHM_2022_r1.xlsx) e envie-o de novo.",
    },
    "rule_too_deep": {
        "en": "Workbooks are looked for at most 20 folders below the landing folder.",
        "fr": "Les classeurs sont cherchés au plus 20 dossiers sous le dossier de dépôt.",
        "es": "Los libros se buscan como máximo 20 carpetas por debajo de la carpeta de "
              "entrega.",
        "pt": "Os livros são procurados no máximo 20 pastas abaixo da pasta de entrega.",
    },
    "do_too_deep": {
        "en": "Move the SSI workbooks at most 20 folders below the landing folder, or send "
              "them again.",
        "fr": "Déplacez les classeurs de l'enquête au plus 20 dossiers sous le dossier de "
              "dépôt, ou renvoyez-les.",
        "es": "Mueva los libros de la encuesta como máximo 20 carpetas por debajo de la "
              "carpeta de entrega, o envíelos de nuevo.",
        "pt": "Mova os livros do inquérito no máximo 20 pastas abaixo da pasta de entrega, ou "
              "envie-os de novo.",
    },
    "rule_too_large": {
        "en": "A workbook of the inquiry weighs at most 50 MB (500 MB unpacked).",
        "fr": "Un classeur de l'enquête pèse au plus 50 Mo (500 Mo décompressé).",
        "es": "Un libro de la encuesta pesa como máximo 50 MB (500 MB descomprimido).",
        "pt": "Um livro do inquérito pesa no máximo 50 MB (500 MB descomprimido).",
    },
    "do_too_large": {
        "en": "Remove pictures, copies of sheets and data that are not part of the inquiry, "
              "save and send again.",
        "fr": "Retirez les images, les copies de feuilles et les données qui ne font pas "
              "partie de l'enquête, enregistrez et renvoyez le classeur.",
        "es": "Quite las imágenes, las copias de hojas y los datos que no forman parte de la "
              "encuesta, guarde y envíe de nuevo.",
        "pt": "Retire as imagens, as cópias de folhas e os dados que não fazem parte do "
              "inquérito, guarde e envie de novo.",
    },
    "rule_unreadable_file": {
        "en": "The file could not be read as a workbook.",
        "fr": "Le fichier n'a pas pu être lu comme un classeur.",
        "es": "El archivo no pudo leerse como un libro.",
        "pt": "O ficheiro não pôde ser lido como um livro.",
    },
    "do_unreadable_file": {
        "en": "Open it in Excel or LibreOffice, save it again as a workbook (.xlsx) and send "
              "the saved file.",
        "fr": "Ouvrez-le dans Excel ou LibreOffice, enregistrez-le de nouveau comme classeur "
              "(.xlsx) et envoyez le fichier enregistré.",
        "es": "Ábralo en Excel o LibreOffice, guárdelo de nuevo como libro (.xlsx) y envíe el "
              "archivo guardado.",
        "pt": "Abra-o no Excel ou no LibreOffice, guarde-o de novo como livro (.xlsx) e envie "
              "o ficheiro guardado.",
    },
    "rule_encrypted_workbook": {
        "en": "The workbook is protected by a password, so it cannot be read.",
        "fr": "Le classeur est protégé par un mot de passe : il ne peut pas être lu.",
        "es": "El libro está protegido con contraseña, por lo que no puede leerse.",
        "pt": "O livro está protegido por palavra-passe, pelo que não pode ser lido.",
    },
    "do_encrypted_workbook": {
        "en": "Remove the password (Excel: File > Info > Protect Workbook > Encrypt with "
              "Password, clear it and save; LibreOffice: File > Save As, untick 'Save with "
              "password') and send again.",
        "fr": "Retirez le mot de passe (Excel : Fichier > Informations > Protéger le classeur "
              "> Chiffrer avec mot de passe, effacez-le et enregistrez ; LibreOffice : "
              "Fichier > Enregistrer sous, décochez « Enregistrer avec mot de passe »), puis "
              "renvoyez le classeur.",
        "es": "Quite la contraseña (Excel: Archivo > Información > Proteger libro > Cifrar "
              "con contraseña, bórrela y guarde; LibreOffice: Archivo > Guardar como, "
              "desmarque «Guardar con contraseña») y envíe de nuevo.",
        "pt": "Retire a palavra-passe (Excel: Ficheiro > Informações > Proteger Livro > "
              "Encriptar com Palavra-passe, apague-a e guarde; LibreOffice: Ficheiro > "
              "Guardar como, desmarque «Guardar com palavra-passe») e envie de novo.",
    },
    # --- Problems of the landing and the load (ingest/landing.py, ingest/ssi.py) --------------
    "rule_unsupported_format": {
        "en": "Only spreadsheet workbooks (.xlsx, .xlsm, .xls, .xlsb, .ods) are read.",
        "fr": "Seuls les classeurs de tableur (.xlsx, .xlsm, .xls, .xlsb, .ods) sont lus.",
        "es": "Solo se leen libros de hoja de cálculo (.xlsx, .xlsm, .xls, .xlsb, .ods).",
        "pt": "Só são lidos livros de folha de cálculo (.xlsx, .xlsm, .xls, .xlsb, .ods).",
    },
    "do_unsupported_format": {
        "en": "Send the SSI workbook itself, as .xlsx (or .xlsm, .xls, .xlsb, .ods).",
        "fr": "Envoyez le classeur de l'enquête lui-même, en .xlsx (ou .xlsm, .xls, .xlsb, "
              ".ods).",
        "es": "Envíe el propio libro de la encuesta, en .xlsx (o .xlsm, .xls, .xlsb, .ods).",
        "pt": "Envie o próprio livro do inquérito, em .xlsx (ou .xlsm, .xls, .xlsb, .ods).",
    },
    "rule_not_a_file": {
        "en": "The delivery is not a file (a folder, a link to a folder, or a special file).",
        "fr": "L'envoi n'est pas un fichier (un dossier, un lien vers un dossier ou un fichier "
              "spécial).",
        "es": "El envío no es un archivo (una carpeta, un enlace a una carpeta o un archivo "
              "especial).",
        "pt": "O envio não é um ficheiro (uma pasta, uma ligação a uma pasta ou um ficheiro "
              "especial).",
    },
    "do_not_a_file": {
        "en": "Send the SSI workbook itself, as a file.",
        "fr": "Envoyez le classeur de l'enquête lui-même, comme fichier.",
        "es": "Envíe el propio libro de la encuesta, como archivo.",
        "pt": "Envie o próprio livro do inquérito, como ficheiro.",
    },
    "rule_link_outside_landing": {
        "en": "The delivery is a link to a place outside the landing folder, which is not "
              "followed.",
        "fr": "L'envoi est un lien vers un emplacement hors du dossier de dépôt, qui n'est "
              "pas suivi.",
        "es": "El envío es un enlace a un lugar fuera de la carpeta de depósito, que no se "
              "sigue.",
        "pt": "O envio é uma ligação para um local fora da pasta de depósito, que não é "
              "seguida.",
    },
    "do_link_outside_landing": {
        "en": "Copy the SSI workbook itself into the landing folder.",
        "fr": "Copiez le classeur de l'enquête lui-même dans le dossier de dépôt.",
        "es": "Copie el propio libro de la encuesta en la carpeta de depósito.",
        "pt": "Copie o próprio livro do inquérito para a pasta de depósito.",
    },
    "rule_broken_link": {
        "en": "The delivery is a link that leads to no file.",
        "fr": "L'envoi est un lien qui ne mène à aucun fichier.",
        "es": "El envío es un enlace que no lleva a ningún archivo.",
        "pt": "O envio é uma ligação que não leva a nenhum ficheiro.",
    },
    "do_broken_link": {
        "en": "Copy the SSI workbook itself into the landing folder.",
        "fr": "Copiez le classeur de l'enquête lui-même dans le dossier de dépôt.",
        "es": "Copie el propio libro de la encuesta en la carpeta de depósito.",
        "pt": "Copie o próprio livro do inquérito para a pasta de depósito.",
    },
    "rule_conflicting_redelivery": {
        "en": "A submission with the same country, year and revision was already received "
              "with other figures.",
        "fr": "Une soumission de même pays, année et révision a déjà été reçue avec d'autres "
              "chiffres.",
        "es": "Ya se recibió un envío del mismo país, año y revisión con otras cifras.",
        "pt": "Já foi recebido um envio do mesmo país, ano e revisão com outros números.",
    },
    "do_conflicting_redelivery": {
        "en": "To correct it, send the workbook again with the next revision number on the "
              "cover (e.g. revision 2).",
        "fr": "Pour la corriger, renvoyez le classeur avec le numéro de révision suivant sur "
              "la couverture (par ex. révision 2).",
        "es": "Para corregirlo, envíe de nuevo el libro con el número de revisión siguiente "
              "en la portada (p. ej. revisión 2).",
        "pt": "Para o corrigir, envie de novo o livro com o número de revisão seguinte na "
              "capa (p. ex. revisão 2).",
    },
    # --- The source gate (expectations/sources.py) -------------------------------------------
    "rule_failed_expectation": {
        "en": "A figure failed a quality check (the message in English says which).",
        "fr": "Un chiffre n'a pas passé un contrôle de qualité (le message en anglais "
              "précise lequel).",
        "es": "Una cifra no superó un control de calidad (el mensaje en inglés indica cuál).",
        "pt": "Um número não passou num controlo de qualidade (a mensagem em inglês indica "
              "qual).",
    },
    "do_failed_expectation": {
        "en": "Check the figure and its unit: correct it and send the workbook again, or "
              "confirm it to the ILO, which can then accept it as it is.",
        "fr": "Vérifiez le chiffre et son unité : corrigez-le et renvoyez le classeur, ou "
              "confirmez-le au BIT, qui pourra alors l'accepter tel quel.",
        "es": "Compruebe la cifra y su unidad: corríjala y envíe de nuevo el libro, o "
              "confírmela a la OIT, que podrá entonces aceptarla tal como está.",
        "pt": "Verifique o número e a sua unidade: corrija-o e envie de novo o livro, ou "
              "confirme-o à OIT, que o poderá então aceitar tal como está.",
    },
    # --- Year-on-year plausibility (ops.submission_checks, seed plausibility_thresholds) -----
    "rule_context_change": {
        "en": "{item} ({sex}): {new} in {year} against {earlier} in {earlier_year}, {moved} % "
              "in {years}; more than {threshold} % is unusual.",
        "fr": "{item} ({sex}) : {new} en {year} contre {earlier} en {earlier_year}, {moved} % "
              "en {years} ; plus de {threshold} % est inhabituel.",
        "es": "{item} ({sex}): {new} en {year} frente a {earlier} en {earlier_year}, "
              "{moved} % en {years}; más de {threshold} % es inusual.",
        "pt": "{item} ({sex}): {new} em {year} contra {earlier} em {earlier_year}, {moved} % "
              "em {years}; mais de {threshold} % é invulgar.",
    },
    "do_context_change": {
        "en": "Check this figure and its unit against your national source (census, survey "
              "or register); confirm it to the ILO, or send a correction as a new revision.",
        "fr": "Vérifiez ce chiffre et son unité auprès de votre source nationale "
              "(recensement, enquête ou registre) ; confirmez-le au BIT, ou envoyez une "
              "correction dans une nouvelle révision.",
        "es": "Compruebe esta cifra y su unidad con su fuente nacional (censo, encuesta o "
              "registro); confírmela a la OIT, o envíe una corrección en una nueva revisión.",
        "pt": "Verifique este número e a sua unidade com a sua fonte nacional "
              "(recenseamento, inquérito ou registo); confirme-o à OIT, ou envie uma "
              "correção numa nova revisão.",
    },
    "rule_coverage_change": {
        "en": "Coverage of '{series}' ({code}, {sex}): {new} in {year} against {earlier} in "
              "{earlier_year}, {moved} points; a move of more than {threshold} points is "
              "unusual.",
        "fr": "Couverture « {series} » ({code}, {sex}) : {new} en {year} contre {earlier} en "
              "{earlier_year}, {moved} points ; un écart de plus de {threshold} points est "
              "inhabituel.",
        "es": "Cobertura «{series}» ({code}, {sex}): {new} en {year} frente a {earlier} en "
              "{earlier_year}, {moved} puntos; una variación de más de {threshold} puntos es "
              "inusual.",
        "pt": "Cobertura «{series}» ({code}, {sex}): {new} em {year} contra {earlier} em "
              "{earlier_year}, {moved} pontos; uma variação de mais de {threshold} pontos é "
              "invulgar.",
    },
    "do_coverage_change": {
        "en": "Check the beneficiaries counted for this series and its population in the "
              "context sheet (highlighted): only periodic cash benefits count, each person "
              "once. Confirm the figures to the ILO, or send a correction as a new revision.",
        "fr": "Vérifiez les bénéficiaires comptés pour cette série et sa population dans la "
              "feuille « Contexte » (surlignés) : seules les prestations périodiques en "
              "espèces comptent, chaque personne une fois. Confirmez les chiffres au BIT, ou "
              "envoyez une correction dans une nouvelle révision.",
        "es": "Compruebe los beneficiarios contados para esta serie y su población en la hoja "
              "«Contexto» (resaltados): solo cuentan las prestaciones periódicas en efectivo, "
              "cada persona una vez. Confirme las cifras a la OIT, o envíe una corrección en "
              "una nueva revisión.",
        "pt": "Verifique os beneficiários contados para esta série e a sua população na folha "
              "«Contexto» (destacados): só contam as prestações periódicas em dinheiro, cada "
              "pessoa uma vez. Confirme os números à OIT, ou envie uma correção numa nova "
              "revisão.",
    },
    "rule_series_missing": {
        "en": "Coverage of '{series}' ({code}) was {earlier} in {earlier_year} and cannot be "
              "computed for {year}.",
        "fr": "La couverture « {series} » ({code}) était de {earlier} en {earlier_year} et ne "
              "peut pas être calculée pour {year}.",
        "es": "La cobertura «{series}» ({code}) era del {earlier} en {earlier_year} y no puede "
              "calcularse para {year}.",
        "pt": "A cobertura «{series}» ({code}) era de {earlier} em {earlier_year} e não pode "
              "ser calculada para {year}.",
    },
    "do_series_missing": {
        "en": "If the figures exist, add the beneficiaries of this series and its population "
              "in the context sheet and send a new revision; if not, tell the ILO why.",
        "fr": "Si les chiffres existent, ajoutez les bénéficiaires de cette série et sa "
              "population dans la feuille « Contexte » et envoyez une nouvelle révision ; "
              "sinon, indiquez-en la raison au BIT.",
        "es": "Si las cifras existen, añada los beneficiarios de esta serie y su población en "
              "la hoja «Contexto» y envíe una nueva revisión; si no, indique el motivo a la "
              "OIT.",
        "pt": "Se os números existirem, acrescente os beneficiários desta série e a sua "
              "população na folha «Contexto» e envie uma nova revisão; se não, indique o "
              "motivo à OIT.",
    },
    "rule_expenditure_change": {
        "en": "Social protection expenditure (all functions): {new} of GDP in {year} against "
              "{earlier} in {earlier_year}, {moved} points; a move of more than {threshold} "
              "points of GDP is unusual.",
        "fr": "Dépenses de protection sociale (toutes fonctions) : {new} du PIB en {year} "
              "contre {earlier} en {earlier_year}, {moved} points ; un écart de plus de "
              "{threshold} points de PIB est inhabituel.",
        "es": "Gasto en protección social (todas las funciones): {new} del PIB en {year} "
              "frente a {earlier} en {earlier_year}, {moved} puntos; una variación de más de "
              "{threshold} puntos del PIB es inusual.",
        "pt": "Despesa de proteção social (todas as funções): {new} do PIB em {year} contra "
              "{earlier} em {earlier_year}, {moved} pontos; uma variação de mais de "
              "{threshold} pontos do PIB é invulgar.",
    },
    "do_expenditure_change": {
        "en": "Check that GDP (context sheet) and the amounts of the expenditure sheet are in "
              "the same currency and unit (not thousands against millions), and that every "
              "scheme is included; confirm to the ILO, or send a correction as a new revision.",
        "fr": "Vérifiez que le PIB (feuille « Contexte ») et les montants de la feuille "
              "« Dépenses » sont dans la même monnaie et la même unité (pas des milliers "
              "contre des millions), et que tous les régimes y figurent ; confirmez au BIT, ou "
              "envoyez une correction dans une nouvelle révision.",
        "es": "Compruebe que el PIB (hoja «Contexto») y los montos de la hoja «Gastos» están "
              "en la misma moneda y unidad (no miles frente a millones), y que figuran todos "
              "los regímenes; confirme a la OIT, o envíe una corrección en una nueva revisión.",
        "pt": "Verifique que o PIB (folha «Contexto») e os montantes da folha «Despesas» estão "
              "na mesma moeda e unidade (não milhares contra milhões), e que todos os regimes "
              "constam; confirme à OIT, ou envie uma correção numa nova revisão.",
    },
}
