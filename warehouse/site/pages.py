"""The pages of the site and the figures each shows, from what `data.read` found.

index.html: the programme at a glance (phases against their targets, SDG 1.3.1 for the
world and the ILO regions, the results framework, links to every page);
countries/<ISO3>.html: one per country with coverage, expenditure or project data and
every focus country; themes/<code>.html: one per thematic area of `ref.thematic_areas`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache

from warehouse.site import fmt
from warehouse.site.charts import Bar, BarChart, Line, LineChart
from warehouse.site.data import Published, group
from warehouse.site.figures import Column, Figure

SEXES = {"SEX_T": "total", "SEX_F": "women", "SEX_M": "men"}
STATUS = {"accepted": "accepted", "rejected": "rejected, to be sent again",
          "quarantined": "quarantined, awaiting a statistician", "not_received": "not received"}
LEVELS = {"country": "country", "regional": "regional", "global": "global"}
FEW_COUNTRIES, FEW_SHARE = 3, 0.5  # a regional figure on fewer countries, or less of the
# region's population than this, says so
TOTAL = "SOC_CONTIG_TOTAL"


@dataclass
class Page:
    path: str  # from the site's root: countries/KHM.html
    template: str
    title: str
    figures: dict[str, Figure] = field(default_factory=dict)
    context: dict = field(default_factory=dict)

    @property
    def root(self) -> str:
        return "../" * self.path.count("/")

    @property
    def data_folder(self) -> str:
        return "data/" + self.path.removesuffix(".html")


class Names:
    """Codes with their names, from the seeds and dimensions the warehouse publishes."""

    def __init__(self, data: Published):
        self.countries = {r["country_iso3"]: r for r in data["countries"]}
        self.series = data.names("series", "series", "series_name")
        self.flags = data.names("flags", "flag", "words")
        self.branches = {**data.names("branches", "branch", "branch_name"),
                         "ALL": "all functions"}
        self.steps = {r["step"]: r["step_name"] for r in data["step_targets"]}
        self.categories = data.names("impact_categories", "impact_category",
                                     "impact_category_name")
        self.output_types = data.names("output_types", "output_type", "output_type_name")
        self.areas = {r["thematic_area"]: r for r in data["thematic_areas"]}

    def country(self, iso3: str | None) -> str:
        row = self.countries.get(iso3)
        return row["country_name"] if row else (iso3 or "")

    def region(self, iso3: str) -> str | None:
        row = self.countries.get(iso3)
        return row["ilo_region"] if row else None

    def step(self, step: int | None) -> str:
        return f"step {step}: {self.steps.get(step, 'step')}" if step else fmt.NONE

    def area(self, code: str) -> str:
        row = self.areas.get(code)
        return row["thematic_area_name"] if row else code

    def coverage_note(self, flag: str | None, value) -> str:
        """A coverage figure's flag in words: `above 100 %: numerator exceeds denominator`."""
        if not flag:
            return ""
        words = self.flags.get(flag, flag.replace("_", " "))
        if value is None:
            return f"no figure: {words}"
        return f"above 100 %: {words}" if value > 100 else words


@cache
def capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def f(value) -> float | None:
    return None if value is None else float(value)


@cache
def _rests_on(countries: int, share: float | None, short: bool) -> str:
    plural = "country" if countries == 1 else "countries"
    if short:
        held = f", {fmt.pct(100 * share)} of its population" if share is not None else ""
        return f"{countries:,} {plural}{held}"
    held = f" holding {fmt.pct(100 * share)} of the population" if share is not None else ""
    return f"rests on {countries:,} {plural}{held}"


def regional_note(row: dict, names: Names, short: bool = False) -> str:
    """What a regional figure rests on, said when it is little; and its flag in words."""
    notes = []
    share = row.get("population_share_reporting")
    countries = row["countries_reporting"]
    if countries < FEW_COUNTRIES or (share is not None and share < FEW_SHARE):
        notes.append(_rests_on(countries, share, short))
    if row.get("quality_flag"):
        notes.append(names.flags.get(row["quality_flag"], row["quality_flag"]))
    return "; ".join(notes)


class Site:
    """Builds every page's figures from one publication."""

    def __init__(self, data: Published):
        self.data = data
        self.names = Names(data)
        self.interventions = {r["intervention_id"]: r for r in data["interventions"]}
        self.partners = {r["intervention_id"]: list(r["partners"] or [])
                         for r in data["funding_partners"]}
        for change in data["changes"]:
            self.partners.setdefault(change["intervention_id"], [])
            for partner in change["partners"] or []:
                if partner not in self.partners[change["intervention_id"]]:
                    self.partners[change["intervention_id"]].append(partner)
        self.regional = {(r["region"], r["series"], r["year"], r["sex"]): r
                         for r in data["regional"]}
        self.country_codes = self._countries()

    # -- which pages -----------------------------------------------------------------------


    def _empty(self, part: str, what: str, mart: str, none: str) -> str:
        """What a figure without rows says: that its mart is not in this publication (one
        published before the mart existed), else `none`."""
        return f"{what} not in this publication ({mart})." if part in self.data.missing \
            else none

    def _countries(self) -> list[str]:
        """Every country with coverage, expenditure or project data, and every focus
        country, that the warehouse names."""
        d = self.data
        codes = {r["country_iso3"] for name in ("coverage", "expenditure", "interventions",
                                                 "changes", "people", "outputs")
                 for r in d[name]}
        codes |= {r["country_iso3"] for r in d["countries"]
                  if r["phase1_focus"] or r["phase2_focus"]}
        return sorted(c for c in codes if c in self.names.countries)

    def paths(self) -> list[str]:
        """Every page of the site, from its root."""
        return ["index.html", *(f"countries/{c}.html" for c in self.country_codes),
                *(f"themes/{code}.html" for code in self.names.areas)]

    def page(self, path: str) -> Page:
        """One page with its figures, made when it is asked for."""
        if path == "index.html":
            return self.index()
        folder, name = path.removesuffix(".html").split("/")
        return self.country(name) if folder == "countries" else self.theme(name)

    def country_link(self, iso3: str | None) -> str | None:
        return f"countries/{iso3}.html" if iso3 in self._country_set else None

    @property
    def _country_set(self) -> set[str]:
        if not hasattr(self, "_set"):
            self._set = set(self.country_codes)
        return self._set

    # -- shared figures --------------------------------------------------------------------

    def intervention_rows(self, rows: list[dict]) -> list[dict]:
        out = []
        for r in rows:
            out.append({
                "intervention_id": r["intervention_id"], "title": r["title"],
                "country_iso3": r["country_iso3"],
                "country_name": self.names.country(r["country_iso3"]) if r["country_iso3"]
                else capital(LEVELS.get(r["level"], r["level"] or "")),
                "country_link": self.country_link(r["country_iso3"]),
                "level": r["level"], "flagship": r.get("flagship"),
                "start_date": r["start_date"], "end_date": r["end_date"],
                "period": fmt.period(r["start_date"], r["end_date"]),
                "thematic_areas": list(r["thematic_areas"] or []),
                "thematic_area_names": "; ".join(self.names.area(c)
                                                 for c in r["thematic_areas"] or []),
                "partners": self.partners.get(r["intervention_id"], []),
                "partner_names": fmt.listing(self.partners.get(r["intervention_id"], []))
                or fmt.NONE,
                "funding_usd": r.get("funding_usd"),
                "changes_achieved": r.get("changes_achieved"),
                "steps_achieved": list(r.get("steps_achieved") or []),
                "persons_latest": r.get("persons_latest"),
            })
        return out

    def interventions_figure(self, rows: list[dict], with_country: bool) -> Figure:
        columns = [Column("intervention_id", "Intervention"), Column("title", "Title", wide=True),
                   Column("country_iso3"),
                   Column("country_name", "Country" if with_country else "", link="country_link"),
                   Column("level"),
                   Column("flagship"), Column("start_date"), Column("end_date"),
                   Column("period", "Period"), Column("thematic_areas"),
                   Column("thematic_area_names", "Thematic areas", wide=True),
                   Column("partners"), Column("partner_names", "Partners"),
                   Column("funding_usd", "Funding", "usd"),
                   Column("changes_achieved", "Changes", "whole"),
                   Column("steps_achieved"),
                   Column("persons_latest", "People impacted", "whole")]
        rows = self.intervention_rows(rows)
        return Figure(
            "interventions", "Interventions", columns, rows,
            ["marts.results_interventions", "intermediate.int_rmt__funding_current"],
            [r["intervention_id"] for r in rows], "interventions",
            note="Current interventions of the Results Monitoring Tool: their period, "
                 "thematic areas, partners (funding and joint support), funding mobilized "
                 "in US dollars, institutional changes achieved and people impacted (the "
                 "latest report of each outcome).",
            empty=self._empty("interventions", "Interventions are",
                              "marts.results_interventions",
                              "No intervention in this publication."))

    def changes_figure(self, rows: list[dict], with_country: bool) -> Figure:
        out = [{
            "achieved_on": r["achieved_on"], "year": r["year"], "phase": r["phase"],
            "step": r["step"], "step_name": self.names.step(r["step"]),
            "change_id": r["change_id"], "title": r["title"],
            "intervention_id": r["intervention_id"], "country_iso3": r["country_iso3"],
            "country_name": self.names.country(r["country_iso3"]) if r["country_iso3"]
            else capital(r["level"] or ""),
            "country_link": self.country_link(r["country_iso3"]),
            "joint_with_partner": r["joint_with_partner"],
            "joint": ("jointly with " + fmt.listing(r["partners"] or [])) if
            r["joint_with_partner"] else "the ILO alone",
            "phase_name": f"phase {r['phase']}" if r["phase"] else "outside both phases",
        } for r in rows]
        columns = [Column("achieved_on", "Date", "day"),
                   Column("country_iso3"),
                   Column("country_name", "Country" if with_country else "",
                          link="country_link"),
                   Column("step"), Column("step_name", "Step"),
                   Column("title", "Change", wide=True),
                   Column("change_id"), Column("intervention_id", "Intervention"),
                   Column("phase"), Column("phase_name", "Phase"),
                   Column("joint_with_partner"), Column("joint", "Achieved with"),
                   Column("year")]
        if with_country:  # the country first on a thematic page
            columns.insert(0, columns.pop(2))
        return Figure(
            "institutional_changes", "Institutional changes achieved, by date and step",
            columns, out, ["marts.results_institutional_changes"],
            [r["intervention_id"] for r in out], "interventions",
            note="Each change the ILO supported, with its step (1: a national strategy, "
                 "2: a scheme with a basis in law, 3: operations and governance improved) "
                 "and the phase whose window holds its date.",
            empty="No institutional change achieved in this publication.")

    def outputs_figure(self, rows: list[dict], with_country: bool) -> Figure:
        out = [{
            "output_date": r["output_date"], "year": r["year"], "phase": r.get("phase"),
            "output_type": r["output_type"],
            "output_type_name": capital(self.names.output_types.get(r["output_type"],
                                                                    r["output_type"])),
            "title": r["title"], "count": r["count"],
            "intervention_id": r["intervention_id"], "country_iso3": r["country_iso3"],
            "country_name": self.names.country(r["country_iso3"]) if r["country_iso3"]
            else capital(r["level"] or ""),
            "country_link": self.country_link(r["country_iso3"]),
        } for r in rows]
        columns = [Column("output_date", "Date", "day"), Column("year"), Column("phase"),
                   Column("country_iso3"),
                   Column("country_name", "Country" if with_country else "",
                          link="country_link"),
                   Column("output_type"), Column("output_type_name", "Output"),
                   Column("title", "Title"), Column("count", "Count", "whole"),
                   Column("intervention_id", "Intervention")]
        return Figure(
            "outputs", "Outputs: knowledge products, training, ratifications", columns, out,
            ["marts.results_outputs"], [r["intervention_id"] for r in out], "interventions",
            note="Count: products for a knowledge product, persons for a training.",
            empty=self._empty("outputs", "Outputs are", "marts.results_outputs",
                              "No output in this publication."))

    # -- index -----------------------------------------------------------------------------

    def index(self) -> Page:
        page = Page("index.html", "index.html.j2", "The programme at a glance")
        page.figures["steps"] = self.steps_figure()
        page.figures["people"] = self.people_targets_figure()
        page.figures["sdg131"] = self.sdg131_figure()
        page.figures["framework"] = self.framework_figure()
        by_region = defaultdict(list)
        for iso3 in sorted(self.country_codes, key=self.names.country):
            row = self.names.countries[iso3]
            focus = [f"phase {p}" for p in (1, 2) if row[f"phase{p}_focus"]]
            by_region[row["ilo_region"] or "Other"].append({
                "name": row["country_name"], "href": f"countries/{iso3}.html",
                "focus": " and ".join(focus)})
        groups = defaultdict(list)
        for code, row in self.names.areas.items():
            groups[row.get("thematic_group_name") or row.get("thematic_group") or ""].append(
                {"name": row["thematic_area_name"], "href": f"themes/{code}.html"})
        page.context.update(regions=sorted(by_region.items()), themes=list(groups.items()),
                            themes_missing="thematic_areas" in self.data.missing)
        return page

    def steps_figure(self) -> Figure:
        rows = [{**r, "phase_name": f"Phase {r['phase']}",
                 "step_name": capital(self.names.step(r["step"]))}
                for r in self.data["phase_progress"]]
        chart = BarChart(
            "Focus countries achieving each step, against the phase's target",
            "focus countries", [Bar(f"Phase {r['phase']}, {self.names.step(r['step'])}",
                                    f(r["achieved_countries"]),
                                    fmt.of_target(r["achieved_countries"],
                                                  r["target_countries"]),
                                    f(r["target_countries"]), style=r["phase"] - 1)
                                for r in rows],
            unit="count", target_label="target (countries)",
            description="Countries of each phase's focus list with an achieved change of "
                        "the step in the phase, against the target.")
        columns = [Column("phase"), Column("phase_name", "Phase"), Column("step"),
                   Column("step_name", "Step"),
                   Column("focus_countries", "Focus countries", "whole"),
                   Column("achieved_countries", "Countries achieved", "whole"),
                   Column("target_countries", "Target", "whole"),
                   Column("changes", "Changes achieved", "whole"),
                   Column("joint_with_partner_pct", "Joint with a partner", "pct")]
        return Figure("steps", "Institutional results: steps 1-3 against the targets",
                      columns, rows, ["marts.results_phase_progress"], charts=[chart],
                      note="Table 1 of the phase-2 strategy, kept current: the focus "
                           "countries of each phase with an achieved change of each step.")

    def people_targets_figure(self) -> Figure:
        rows = [{**r, "phase_name": f"Phase {r['phase']}",
                 "category_name": capital(self.names.categories.get(r["impact_category"],
                                                                    r["impact_category"]))}
                for r in self.data["impact_summary"]]
        chart = BarChart(
            "People impacted per category, against the phase's target", "persons",
            [Bar(f"Phase {r['phase']}, {r['category_name'].lower()}", f(r["persons"]),
                 fmt.of_target(r["persons"], r["target_persons"]),
                 f(r["target_persons"]), style=r["phase"] - 1) for r in rows],
            unit="persons", target_label="target (persons)",
            description="People impacted in each phase per impact category (the latest "
                        "snapshot of each outcome inside the phase window).")
        columns = [Column("phase"), Column("phase_name", "Phase"), Column("impact_category"),
                   Column("category_name", "Impact category"),
                   Column("persons", "People impacted", "whole"),
                   Column("target_persons", "Target", "whole"),
                   Column("countries_reporting", "Countries", "whole"),
                   Column("outcomes", "Outcomes", "whole")]
        return Figure("people_impacted", "Impact on people against the targets", columns,
                      rows, ["marts.results_impact_summary"], charts=[chart],
                      note="Table 2 of the phase-2 strategy, kept current.")

    def sdg131_figure(self) -> Figure:
        """World and the ILO regions: SDG 1.3.1 (total population covered, both sexes) in
        the latest year each has a figure, with the countries and population behind it."""
        latest = {}
        for r in self.data["regional"]:
            if r["series"] == TOTAL and r["sex"] == "SEX_T" and r["coverage_pct"] is not None:
                if r["region"] not in latest or r["year"] > latest[r["region"]]["year"]:
                    latest[r["region"]] = r
        regions = ["World", *sorted({r["ilo_region"] for r in self.data["countries"]
                                     if r["ilo_region"]})]
        submissions = defaultdict(set)
        for r in self.data["coverage"]:
            if r["series"] == TOTAL and r["total_pct"] is not None:
                for region in ("World", r["region"]):
                    if region in latest and latest[region]["year"] == r["year"]:
                        submissions[region].add(r["submission_id"])
        rows = []
        for region in regions:
            r = latest.get(region)
            rows.append({
                "region": region, "year": r["year"] if r else None,
                "series": TOTAL, "sex": "SEX_T",
                "coverage_pct": r["coverage_pct"] if r else None,
                "countries_reporting": r["countries_reporting"] if r else 0,
                "population_share_reporting_pct":
                    100 * r["population_share_reporting"]
                    if r and r["population_share_reporting"] is not None else None,
                "quality_flag": r["quality_flag"] if r else None,
                "note": regional_note(r, self.names) if r else "no country reported",
                "submissions": sorted(submissions[region]),
            })
        chart = BarChart(
            "SDG 1.3.1: population covered by at least one social protection benefit",
            "% of the population", [
                Bar(f"{r['region']} ({r['year']})" if r["year"] else r["region"],
                    f(r["coverage_pct"]), fmt.pct(r["coverage_pct"]) if r["year"] else
                    "no figure", style=0 if r["region"] == "World" else 3) for r in rows],
            unit="pct",
            description="Total population covered, both sexes, in the latest year each "
                        "region has a figure, weighted by each country's population.")
        columns = [Column("region", "Region"), Column("year", "Latest year", "year"),
                   Column("series"), Column("sex"),
                   Column("coverage_pct", "Population covered", "pct"),
                   Column("countries_reporting", "Countries reporting", "whole"),
                   Column("population_share_reporting_pct",
                          "Share of the population they hold", "pct"),
                   Column("quality_flag"), Column("note", "Note", wide=True), Column("submissions")]
        return Figure(
            "sdg131_regions", "SDG 1.3.1 for the world and the five ILO regions", columns,
            rows, ["marts.coverage_sdg131_regional", "marts.coverage_sdg131"],
            sorted({s for r in rows for s in r["submissions"]}), "submissions",
            charts=[chart],
            note="Proportion of the population covered by at least one social protection "
                 "benefit (SDG indicator 1.3.1), from the countries that reported: a "
                 "figure resting on few countries says so.")

    def framework_figure(self) -> Figure:
        rows = []
        order = {r["indicator"]: r for r in self.data["indicators"]}  # Table 7's order
        by_indicator: dict = {code: {} for code in order}
        for r in self.data["framework"]:
            row = by_indicator.setdefault(r["indicator"], {})
            row.update({"indicator": r["indicator"], "definition": r.get("definition"),
                        "unit": r.get("unit"),
                        "table7_row": order.get(r["indicator"], {}).get("table7_row")})
            row[f"phase{r['phase']}_value"] = r.get("value")
            row[f"phase{r['phase']}_target"] = r.get("target")
            row[f"phase{r['phase']}_countries"] = r.get("countries")
        for row in by_indicator.values():
            if not row:
                continue
            kind = "pct" if row["unit"] == "percent" else "whole"
            for p in (1, 2):
                for key in ("value", "target"):
                    value = row.get(f"phase{p}_{key}")
                    row[f"phase{p}_{key}_text"] = (fmt.pct(value) if kind == "pct"
                                                   else fmt.whole(value))
            rows.append(row)
        columns = [Column("table7_row", "Results", wide=True), Column("indicator"),
                   Column("definition", "Indicator", wide=True),
                   Column("unit", "Unit"),
                   Column("phase1_value"), Column("phase1_value_text", "Phase 1"),
                   Column("phase1_target"), Column("phase1_target_text", "Phase 1 target"),
                   Column("phase1_countries"),
                   Column("phase2_value"), Column("phase2_value_text", "Phase 2"),
                   Column("phase2_target"), Column("phase2_target_text", "Phase 2 target"),
                   Column("phase2_countries")]
        return Figure(
            "results_framework", "The results framework (Table 7)", columns, rows,
            ["marts.results_framework"],
            note="The indicators the programme reports on every year, per phase.",
            empty=self._empty("framework", "The results framework is",
                              "marts.results_framework", "No indicator in this publication."))

    # -- a country -------------------------------------------------------------------------

    def country(self, iso3: str) -> Page:
        names = self.names
        row = names.countries[iso3]
        page = Page(f"countries/{iso3}.html", "country.html.j2", row["country_name"])
        focus = [f"phase {p}" for p in (1, 2) if row[f"phase{p}_focus"]]
        page.context.update(
            iso3=iso3, region=row["ilo_region"],
            focus=("a focus country of the programme in " + " and ".join(focus))
            if focus else "not a focus country of the programme")
        page.figures["profile"] = self.profile_figure(iso3)
        page.figures["coverage"] = self.coverage_figure(iso3)
        page.figures["expenditure"] = self.expenditure_figure(iso3)
        page.figures["reporting"] = self.reporting_figure(iso3)
        page.figures["interventions"] = self.interventions_figure(
            self._by_country("interventions").get(iso3, []), with_country=False)
        page.figures["changes"] = self.changes_figure(
            self._by_country("changes").get(iso3, []), with_country=False)
        page.figures["people"] = self.people_over_time_figure(iso3)
        page.figures["outputs"] = self.outputs_figure(
            self._by_country("outputs").get(iso3, []), with_country=False)
        return page

    def _theme_people(self) -> dict:
        if "_theme_people_rows" not in self.__dict__:
            self._theme_people_rows = group(self.data["theme_people"], "thematic_area")
        return self._theme_people_rows

    def _by_country(self, table: str) -> dict:
        cache = self.__dict__.setdefault("_grouped", {})
        if table not in cache:
            cache[table] = group(self.data[table], "country_iso3")
        return cache[table]

    def profile_figure(self, iso3: str) -> Figure:
        profile = next((r for r in self._by_country("profile").get(iso3, [])), None)
        rows = []
        if profile:
            total = profile.get("soc_contig_total_pct")
            rows.append({"measure": "soc_contig_total_pct",
                         "label": "Population covered by at least one benefit (SDG 1.3.1)",
                         "value": profile.get("soc_contig_total_pct"),
                         "text": f"{fmt.pct(total)} in {profile['soc_contig_total_year']}"
                         if total is not None else "not reported"})
            for p in (1, 2):
                steps = profile.get(f"phase{p}_steps_achieved") or []
                rows.append({"measure": f"phase{p}_steps_achieved",
                             "label": f"Steps achieved in phase {p}", "value": list(steps),
                             "text": fmt.listing(f"step {s}" for s in steps) or "none"})
            for code, name in self.names.categories.items():
                value = profile.get(f"{code}_persons")
                rows.append({"measure": f"{code}_persons",
                             "label": f"People impacted: {name}", "value": value,
                             "text": fmt.whole(value)})
            rows.append({"measure": "funding_usd", "label": "Funding mobilized",
                         "value": profile.get("funding_usd"),
                         "text": fmt.usd(profile.get("funding_usd"))})
        return Figure("profile", "At a glance", compact=True, columns=[
            Column("measure"), Column("label", "Measure"), Column("value"),
            Column("text", "Figure")], rows=rows, marts=["marts.country_profile"],
            note="The latest figure of each kind.")

    def coverage_figure(self, iso3: str) -> Figure:
        names = self.names
        region = names.region(iso3)
        by_series = group(self._by_country("coverage").get(iso3, []), "series")
        rows, charts, ids = [], [], set()
        for series in names.series:
            found = by_series.get(series)
            if not found:
                continue
            lines = {word: Line(capital(word), [], style=i)
                     for i, word in enumerate(SEXES.values())}
            region_line = Line(f"{region}, total" if region else "region", [], style=3)
            for r in found:
                notes, flags = [], []
                for sex, word in SEXES.items():
                    value, flag = r[f"{word}_pct"], r[f"{word}_flag"]
                    note = names.coverage_note(flag, value) if flag else ""
                    if note:
                        notes.append(f"{word}: {note}")
                        flags.append(f"{sex}:{flag}")
                    lines[word].points.append((r["year"], value, note or None))
                if r["region_countries"] is not None and (note := regional_note({
                        "countries_reporting": r["region_countries"],
                        "population_share_reporting": r["region_share"],
                        "quality_flag": r["region_flag"]}, names, short=True)):
                    notes.append(f"region: {note}")
                region_line.points.append((r["year"], r["region_pct"], None))
                ids.add(r["submission_id"])
                rows.append({
                    "country_iso3": iso3, "country_name": names.country(iso3),
                    "series": series, "series_name": capital(names.series[series]),
                    "year": r["year"], "coverage_total_pct": r["total_pct"],
                    "coverage_women_pct": r["women_pct"], "coverage_men_pct": r["men_pct"],
                    "numerator": r["numerator"], "denominator": r["denominator"],
                    "submission_id": r["submission_id"], "revision": r["revision"],
                    "region": region, "region_coverage_pct": r["region_pct"],
                    "region_countries_reporting": r["region_countries"],
                    "quality_flags": flags, "notes": "; ".join(notes)})
            charts.append(LineChart(
                capital(names.series[series]), "reference year", "% covered",
                [*lines.values(), region_line], unit="pct",
                description=f"SDG 1.3.1 for {names.series[series]} in "
                            f"{names.country(iso3)}: total, women and men, and the "
                            f"{region or 'regional'} figure (total)."))
        columns = [Column("country_iso3"), Column("country_name"), Column("series"),
                   Column("series_name", "Series"), Column("year", "Year", "year"),
                   Column("coverage_total_pct", "Total", "pct"),
                   Column("coverage_women_pct", "Women", "pct"),
                   Column("coverage_men_pct", "Men", "pct"),
                   Column("numerator", "Persons covered", "whole"),
                   Column("denominator", "Population of the series", "whole"),
                   Column("region"), Column("region_coverage_pct", "Region (total)", "pct"),
                   Column("region_countries_reporting"),
                   Column("submission_id", "Submission"), Column("revision"),
                   Column("quality_flags"), Column("notes", "Note", wide=True)]
        return Figure(
            "coverage", "Social protection coverage (SDG 1.3.1) over time", columns, rows,
            ["marts.coverage_sdg131", "marts.coverage_sdg131_regional"], sorted(ids),
            "submissions", charts=charts,
            note="Proportion of each group covered by at least one social protection "
                 "benefit, from the country's Social Security Inquiry submissions (the "
                 "latest accepted revision of each year), next to its region's figure.",
            empty="No coverage figure reported in this publication.")

    def expenditure_figure(self, iso3: str) -> Figure:
        names = self.names
        rows, ids = [], set()
        for r in self._by_country("expenditure").get(iso3, []):
            rows.append({
                "country_iso3": iso3, "year": r["year"], "function": r["function"],
                "function_name": capital(names.branches.get(r["function"], r["function"])),
                "pct_gdp": r["pct_gdp"], "expenditure_lcu": r["expenditure_lcu"],
                "currency": r["currency"],
                "expenditure_text": f"{fmt.whole(r['expenditure_lcu'])} {r['currency'] or ''}"
                .strip(),
                "submission_id": r["submission_id"], "quality_flag": r["quality_flag"],
                "note": names.flags.get(r["quality_flag"], r["quality_flag"] or "")})
            ids.add(r["submission_id"])
        charts = []
        total = [r for r in rows if r["function"] == "ALL"]
        if total:
            charts.append(LineChart(
                "Social protection expenditure, all functions", "reference year",
                "% of GDP", [Line("All functions", [(r["year"], f(r["pct_gdp"]),
                                                      r["note"] or None) for r in total])],
                unit="pct", description=f"Public social protection expenditure of "
                                        f"{names.country(iso3)} in % of GDP."))
        if rows:
            last = max(r["year"] for r in rows)
            functions = [r for r in rows if r["year"] == last and r["function"] != "ALL"]
            if functions:
                charts.append(BarChart(
                    f"Expenditure by function, {last}", "% of GDP",
                    [Bar(r["function_name"], f(r["pct_gdp"]), fmt.pct(r["pct_gdp"], 2))
                     for r in sorted(functions, key=lambda r: -(r["pct_gdp"] or 0))],
                    unit="pct", description=f"Expenditure by function in {last}, in % of "
                                            "GDP."))
        columns = [Column("country_iso3"), Column("year", "Year", "year"),
                   Column("function"), Column("function_name", "Function"),
                   Column("pct_gdp", "% of GDP", "pct2"), Column("expenditure_lcu"),
                   Column("currency"), Column("expenditure_text", "National currency"),
                   Column("submission_id", "Submission"), Column("quality_flag"),
                   Column("note", "Note")]
        return Figure(
            "expenditure", "Social protection expenditure by function over time", columns,
            rows, ["marts.sp_expenditure"], sorted(ids), "submissions", charts=charts,
            note="Public expenditure on social protection (benefits in cash and in kind "
                 "and administration) in % of GDP, by function.",
            empty="No expenditure reported in this publication.")

    def reporting_figure(self, iso3: str) -> Figure:
        rows = [{
            "country_iso3": iso3, "year": r["year"], "status": r["status"],
            "status_words": capital(STATUS.get(r["status"], r["status"])),
            "accepted_revision": r["accepted_revision"],
            "accepted_submission_id": r["accepted_submission_id"],
            "turned_away": (r["rejected_deliveries"] or 0) + (r["quarantined_deliveries"] or 0),
        } for r in self._by_country("reporting").get(iso3, [])]
        columns = [Column("country_iso3"), Column("year", "Reference year", "year"),
                   Column("status"), Column("status_words", "Status"),
                   Column("accepted_revision", "Revision", "whole"),
                   Column("accepted_submission_id", "Submission"),
                   Column("turned_away", "Deliveries turned away", "whole")]
        return Figure(
            "reporting_status", "Reporting to the Social Security Inquiry, by year", columns,
            rows, ["marts.ssi_reporting_status"], compact=True,
            ids=[r["accepted_submission_id"] for r in rows if r["accepted_submission_id"]],
            ids_kind="submissions",
            note="Whether a submission for the reference year was accepted (the revision "
                 "the figures come from) or is still expected.",
            empty="No reference year reported by any country yet.")

    def people_over_time_figure(self, iso3: str) -> Figure:
        """People impacted at the end of each year, a column per impact category."""
        names = self.names
        by_year: dict = {}
        for r in self._by_country("people_by_year").get(iso3, []):
            row = by_year.setdefault(r["year"], {"country_iso3": iso3, "year": r["year"],
                                                 "outcomes": 0, "interventions": set()})
            row[f"{r['impact_category']}_persons"] = r["persons"]
            row["outcomes"] += r["outcomes"]
            row["interventions"].update(r["interventions"])
        rows = [by_year[y] for y in sorted(by_year)]
        for row in rows:
            row["interventions"] = sorted(row["interventions"])
        charts = []
        categories = [c for c in names.categories if any(f"{c}_persons" in r for r in rows)]
        if rows:
            charts.append(LineChart(
                "People impacted per category", "year", "persons",
                [Line(capital(names.categories[c]),
                      [(r["year"], f(r.get(f"{c}_persons")), None) for r in rows],
                      style=list(names.categories).index(c)) for c in categories],
                unit="persons",
                description=f"People impacted by the ILO's support in {names.country(iso3)} "
                            "at the end of each year, per impact category."))
        columns = [Column("country_iso3"), Column("year", "Year", "year"),
                   *(Column(f"{c}_persons", capital(names.categories[c]), "whole")
                     for c in categories),
                   Column("outcomes", "Outcomes", "whole"), Column("interventions")]
        return Figure(
            "people_impacted", "People impacted per category over time", columns, rows,
            ["marts.results_people_impacted", "intermediate.int_rmt__impact_snapshots_current"],
            sorted({i for r in rows for i in r["interventions"]}), "interventions",
            charts=charts,
            note="At the end of each year: the sum over outcomes of their latest snapshot "
                 "by then (on or before the reporting date).",
            empty="No people impacted reported in this publication.")

    # -- a thematic area -------------------------------------------------------------------

    def theme(self, code: str) -> Page:
        area = self.names.areas[code]
        page = Page(f"themes/{code}.html", "theme.html.j2", area["thematic_area_name"])
        ours = [r for r in self.data["interventions"] if code in (r["thematic_areas"] or [])]
        ids = {r["intervention_id"] for r in ours}
        countries = sorted({r["country_iso3"] for r in ours if r["country_iso3"]},
                           key=self.names.country)
        page.context.update(
            code=code, group=area.get("thematic_group_name") or area.get("thematic_group"),
            countries=[{"name": self.names.country(c), "href": self.country_link(c)}
                       for c in countries])
        page.figures["phases"] = self.theme_phases_figure(code)
        page.figures["interventions"] = self.interventions_figure(ours, with_country=True)
        page.figures["changes"] = self.changes_figure(
            [r for r in self.data["changes"] if r["intervention_id"] in ids], True)
        page.figures["people"] = self.theme_people_figure(code)
        page.figures["outputs"] = self.outputs_figure(
            [r for r in self.data["outputs"] if code in (r.get("thematic_areas") or [])],
            True)
        return page

    def theme_phases_figure(self, code: str) -> Figure:
        rows = [{**r, "phase_name": f"Phase {r['phase']}"}
                for r in self.data["thematic"] if r["thematic_area"] == code]
        charts = []
        if rows:
            charts.append(BarChart(
                "Institutional changes achieved, by phase and step", "changes",
                [Bar(f"Phase {r['phase']}, {self.names.step(s)}", f(r[f"changes_step_{s}"]),
                     fmt.whole(r[f"changes_step_{s}"]), style=r["phase"] - 1)
                 for r in rows for s in (1, 2, 3)], unit="count",
                description="Institutional changes of this area's interventions achieved "
                            "in each phase, by step."))
        columns = [Column("thematic_area"), Column("phase"), Column("phase_name", "Phase"),
                   Column("interventions", "Interventions", "whole"),
                   Column("countries", "Countries", "whole"),
                   Column("changes_step_1", "Step 1 changes", "whole"),
                   Column("changes_step_2", "Step 2 changes", "whole"),
                   Column("changes_step_3", "Step 3 changes", "whole"),
                   Column("persons", "People impacted", "whole"),
                   Column("outputs", "Outputs", "whole")]
        return Figure(
            "phases", "By phase: interventions, countries, changes, people, outputs",
            columns, rows, ["marts.results_thematic"], charts=charts,
            note="An intervention working in several areas counts in each.",
            empty=self._empty("thematic", "The thematic results are",
                              "marts.results_thematic", "No result in this area yet."))

    def theme_people_figure(self, code: str) -> Figure:
        names = self.names
        order = list(names.categories)
        rows = [{**r, "phase_name": f"Phase {r['phase']}",
                 "category_name": capital(names.categories.get(r["impact_category"],
                                                               r["impact_category"])),
                 "interventions": list(r["interventions"])}
                for r in self._theme_people().get(code, [])]
        rows.sort(key=lambda r: (r["phase"], order.index(r["impact_category"])
                                 if r["impact_category"] in order else 99))
        charts = [BarChart(
            "People impacted per phase and category", "persons",
            [Bar(f"{r['phase_name']}, {r['category_name'].lower()}", f(r["persons"]),
                 fmt.whole(r["persons"]), style=(r["phase"] or 3) - 1) for r in rows],
            unit="persons", description="People impacted by this area's interventions, "
                                        "per phase of the snapshot and category.")] \
            if rows else []
        columns = [Column("thematic_area"), Column("phase"), Column("phase_name", "Phase"),
                   Column("impact_category"), Column("category_name", "Impact category"),
                   Column("persons", "People impacted", "whole"),
                   Column("outcomes", "Outcomes", "whole"),
                   Column("countries", "Countries", "whole"), Column("interventions")]
        return Figure(
            "people_impacted", "People impacted, by phase and category", columns, rows,
            ["intermediate.int_rmt__impact_in_phase"],
            sorted({i for r in rows for i in r["interventions"]}), "interventions",
            charts=charts,
            note="In each phase, each outcome's latest snapshot inside the phase window (and "
                 "on or before the reporting date), as marts.results_thematic counts.",
            empty="No people impacted reported for this area yet.")
