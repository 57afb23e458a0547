"""The Violence Reduction Unit's three success measures, each in the layout it is published in.

The Home Office judges a VRU on (1) hospital admissions for assault with a knife or sharp object,
(2) knife-enabled serious violence recorded by the police and (3) homicide, above all
non-domestic homicide of people under 25. data.police.uk has no knife flag and no victim age, so
these come from three other publications (see sources/README.md, "Success measures"):

- ``success_measures/hospital_admissions/*.csv``: NHS England Hospital Episode Statistics (HES),
  finished admission episodes with the external cause ICD-10 X99 (assault by sharp object), by
  police force area, community safety partnership and age group, per financial quarter;
- ``success_measures/knife_crime/*.csv``: the Home Office police recorded crime open data table of
  offences involving a knife or sharp instrument, by police force area and financial quarter, in
  the column layout of the police recorded crime open data tables;
- ``success_measures/homicides/*.csv``: the Home Office Homicide Index counts by police force area,
  financial quarter, domestic or non-domestic homicide and victim age group.

Every force's rows are kept in raw, as published; the tenant's force is picked out downstream
(``int_success_measure_counts``). A file with a bad line is refused whole, naming the line.
"""
from __future__ import annotations

from dagster_project.extract.csv_files import Check, CsvSpec, whole_number


def _fy_slash(column: str) -> Check:
    """Home Office open data write financial years as 2024/25."""
    return Check(column, r"regexp_full_match(v, '20[0-9]{2}/[0-9]{2}') and "
                         r"cast(substr(v, 6, 2) as int) = (cast(substr(v, 3, 2) as int) + 1) % 100",
                 "a financial year as YYYY/YY, e.g. 2024/25")


def _fy_dash(column: str) -> Check:
    """NHS England (HES) write financial years as 2024-25."""
    return Check(column, r"regexp_full_match(v, '20[0-9]{2}-[0-9]{2}') and "
                         r"cast(substr(v, 6, 2) as int) = (cast(substr(v, 3, 2) as int) + 1) % 100",
                 "a financial year as YYYY-YY, e.g. 2024-25")


def _one_of(column: str, values: tuple[str, ...], what: str) -> Check:
    listed = ", ".join(f"'{v}'" for v in values)
    return Check(column, f"v in ({listed})", f"{what}: one of {', '.join(values)}")


HES_AGE_GROUPS = ("Under 18", "18-24", "25 and over", "Unknown")
HOMICIDE_AGE_GROUPS = ("Under 16", "16 to 24", "25 to 34", "35 to 44", "45 to 54", "55 to 64", "65 and over",
                       "Unknown")

HOSPITAL_ADMISSIONS = CsvSpec(
    table="hes_sharp_object_admissions",
    what="HES admissions for assault by sharp object (X99) extract",
    header=("Financial Year", "Quarter", "Police Force Area", "Community Safety Partnership", "Cause Code",
            "Age Group", "Finished Admission Episodes"),
    columns=("financial_year", "quarter", "police_force_area", "community_safety_partnership", "cause_code",
             "age_group", "finished_admission_episodes"),
    required=("financial_year", "quarter", "police_force_area", "community_safety_partnership", "cause_code",
              "age_group", "finished_admission_episodes"),
    checks=(
        _fy_dash("financial_year"),
        _one_of("quarter", ("Q1", "Q2", "Q3", "Q4"), "a financial quarter"),
        Check("cause_code", "v = 'X99'", "the ICD-10 external cause code X99 (assault by sharp object)"),
        _one_of("age_group", HES_AGE_GROUPS, "an age group"),
        Check("finished_admission_episodes", "regexp_full_match(v, '[0-9]+')",
              "a whole number of 0 or more (a suppressed count such as '*' cannot be added up: "
              "ask for the unsuppressed extract shared with the VRU)"),
    ),
    unique_key=("financial_year", "quarter", "police_force_area", "community_safety_partnership", "age_group"),
)

KNIFE_OFFENCES = CsvSpec(
    table="knife_sharp_instrument_offences",
    what="police recorded crime open data table of offences involving a knife or sharp instrument",
    header=("Financial Year", "Financial Quarter", "Force Name", "Offence Description", "Offence Group",
            "Offence Subgroup", "Offence Code", "Number of Offences"),
    columns=("financial_year", "financial_quarter", "force_name", "offence_description", "offence_group",
             "offence_subgroup", "offence_code", "number_of_offences"),
    required=("financial_year", "financial_quarter", "force_name", "offence_description", "number_of_offences"),
    checks=(
        _fy_slash("financial_year"),
        _one_of("financial_quarter", ("1", "2", "3", "4"), "a financial quarter number"),
        whole_number("number_of_offences"),
    ),
    unique_key=("financial_year", "financial_quarter", "force_name", "offence_description"),
)

HOMICIDES = CsvSpec(
    table="homicide_index_counts",
    what="Homicide Index counts by police force area",
    header=("Financial Year", "Financial Quarter", "Police Force Area", "Domestic Homicide", "Victim Age Group",
            "Number of Homicides"),
    columns=("financial_year", "financial_quarter", "police_force_area", "domestic_homicide", "victim_age_group",
             "number_of_homicides"),
    required=("financial_year", "financial_quarter", "police_force_area", "domestic_homicide", "victim_age_group",
              "number_of_homicides"),
    checks=(
        _fy_slash("financial_year"),
        _one_of("financial_quarter", ("1", "2", "3", "4"), "a financial quarter number"),
        _one_of("domestic_homicide", ("Domestic", "Non-domestic"), "whether the homicide was domestic"),
        _one_of("victim_age_group", HOMICIDE_AGE_GROUPS, "a victim age group"),
        whole_number("number_of_homicides"),
    ),
    unique_key=("financial_year", "financial_quarter", "police_force_area", "domestic_homicide", "victim_age_group"),
)

SPECS = (HOSPITAL_ADMISSIONS, KNIFE_OFFENCES, HOMICIDES)
FOLDER = "success_measures"
