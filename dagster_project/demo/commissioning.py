"""Synthetic providers and agreements, shaped like a commissioning team's register.

Provider names are invented. Agreement values are sized so that each funding stream's
agreements commit most, not all, of its allocation; funding splits respect ring-fences;
priority weights map each service to the plan priorities whose names fit it.
"""
from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from dagster_project.periods import FinancialYear
from dagster_project.tenants import Plan, Tenant

PENNY = Decimal("0.01")

NAME_FIRST = ("Harbour", "Beacon", "Kestrel", "Millrace", "Open Gate", "Lantern", "Heron", "Bridgewell", "Cobble",
              "Skylark", "Meadowbank", "Ashgrove", "Tidewater", "Foxglove", "Hearthstone", "Larchfield", "Wayfarer",
              "Copperbeech", "Northstar", "Willowmere", "Blackthorn", "Greenway", "Riverbend", "Stonebridge")
NAME_SECOND = ("Support", "Trust", "Project", "Partnership", "Network", "Collective", "Foundation", "Services",
               "Alliance", "Centre")

CATEGORY_SERVICES = {
    "victims_all_crime": ("Victim Care Hub", "Adult Victims Service", "Children and Young People Victims Service"),
    "domestic_abuse": ("Domestic Abuse Outreach", "Domestic Abuse Refuge Support", "Domestic Abuse Helpline"),
    "sexual_violence_isva": ("ISVA Service", "Sexual Violence Therapeutic Support", "Child ISVA Service"),
    "idva": ("IDVA Service", "High-Risk IDVA Service"),
    "restorative_justice": ("Restorative Justice Service",),
    "perpetrator_programme": ("Domestic Abuse Perpetrator Programme", "Stalking Perpetrator Intervention"),
    "violence_reduction": ("Navigator Programme (A&E)", "Youth Violence Mentoring", "Focused Deterrence Programme",
                           "Custody Intervention Programme", "Schools Violence Prevention"),
    "community_safety_grant": ("Community Safety Grant", "Neighbourhood Resilience Grant", "Youth Diversion Grant"),
    "immediate_justice": ("Immediate Justice Reparation Scheme",),
    "appropriate_adults": ("Appropriate Adults Service",),
    "liaison_diversion": ("Liaison and Diversion Service",),
}
CATEGORY_COHORT = {
    "victims_all_crime": "Victims of all crime", "domestic_abuse": "Victims of domestic abuse",
    "sexual_violence_isva": "Victims of sexual violence", "idva": "High-risk victims of domestic abuse",
    "restorative_justice": "Victims and offenders", "perpetrator_programme": "Perpetrators of domestic abuse",
    "violence_reduction": "Young people at risk of serious violence", "community_safety_grant": "Local communities",
    "immediate_justice": "People who commit anti-social behaviour", "appropriate_adults": "Vulnerable detainees",
    "liaison_diversion": "People in custody with vulnerabilities",
}
# The ages each kind of service is for (the register's "Ages served"): a service named for children or
# young people by its name first, then its category; anything else serves all ages.
SERVICE_AGES = {
    "Children and Young People Victims Service": "Under 18", "Child ISVA Service": "Under 18",
    "Schools Violence Prevention": "Under 18", "Youth Violence Mentoring": "10 to 24",
    "Youth Diversion Grant": "10 to 24", "Adult Victims Service": "18 and over",
}
CATEGORY_AGES = {
    "victims_all_crime": "All ages", "domestic_abuse": "16 and over", "sexual_violence_isva": "18 and over",
    "idva": "16 and over", "restorative_justice": "10 and over", "perpetrator_programme": "16 and over",
    "violence_reduction": "10 to 24", "community_safety_grant": "All ages", "immediate_justice": "10 and over",
    "appropriate_adults": "10 and over", "liaison_diversion": "10 and over",
}


def ages_served(category: str, service_name: str) -> str:
    """The ages a demo service is for (no random draw, so the rest of the demo is unchanged)."""
    for name, ages in SERVICE_AGES.items():
        if service_name.startswith(name):
            return ages
    return CATEGORY_AGES.get(category, "All ages")


# Words that tie a category to a plan priority by its name, most specific first.
CATEGORY_PRIORITY_WORDS = {
    "victims_all_crime": ("Victim", "victims", "Vulnerable"),
    "domestic_abuse": ("Victim", "Vulnerable", "Safe", "victims"),
    "sexual_violence_isva": ("Victim", "Vulnerable", "victims"),
    "idva": ("Victim", "Vulnerable", "victims"),
    "restorative_justice": ("Criminal Justice", "Victim", "legitimacy", "Fair"),
    "perpetrator_programme": ("Safe", "Crime", "Preventing"),
    "violence_reduction": ("Safe", "Crime", "Preventing"),
    "community_safety_grant": ("Places", "Communities", "Crime", "communities"),
    "immediate_justice": ("Places", "Anti-Social", "Preventing", "Crime"),
    "appropriate_adults": ("Complex", "Vulnerable", "Fair", "legitimacy"),
    "liaison_diversion": ("Complex", "Vulnerable", "Fair", "efficient"),
}
# The office's commissioning role by agreement type (the Avon and Somerset strategy's four roles).
# A service level agreement with a council or the NHS is one the office pays into alongside them;
# an influencing role carries no money at all (see influencing_entry), so no paid type maps to it.
ROLE_BY_TYPE = {"Contract": "Lead", "Grant": "Facilitating", "Co-commissioning": "Co-commissioner",
                "Service level agreement": "Co-commissioner", "Partnership": "Influencing"}
# Share of a Violence Reduction Unit grant the unit spends itself (its core team and evaluation),
# paid from the grant directly with no agreement; the rest is commissioned.
VRU_OWN_SHARE = (Decimal("0.16"), Decimal("0.22"))


@dataclass
class Provider:
    id: str
    name: str
    org_type: str
    charity_number: str | None
    company_number: str | None
    districts: tuple[str, ...]
    size_band: str


@dataclass
class Agreement:
    ref: str
    provider: Provider
    service_name: str
    category: str
    cohort: str
    districts: tuple[str, ...]
    agreement_type: str
    role: str
    procurement_route: str
    start: dt.date
    end: dt.date
    annual_value: Decimal
    decision_record: str
    eia_done: bool
    dpia_done: bool
    modern_slavery: str
    social_value_score: int | None
    funding: list[tuple[str, Decimal]] = field(default_factory=list)            # (stream id, share)
    priorities: list[tuple[str, str, Decimal]] = field(default_factory=list)    # (plan, priority, weight)
    kpis: list[tuple[str, str, str]] = field(default_factory=list)              # (kpi, target, unit)
    posts: list[tuple[str, Decimal]] = field(default_factory=list)              # (ISVA or IDVA, FTE funded)
    grant_round: str | None = None      # a round of small grants: its name; paid on award, the rest on the final report
    ages_served: str | None = None      # the register's "Ages served" (None: not stated, compared with all ages)

    @property
    def award_date(self) -> dt.date:
        """When the office decided to award it: in the demo, six weeks before it starts."""
        return self.start - dt.timedelta(weeks=6)

    @property
    def total_value(self) -> Decimal:
        months = (self.end.year - self.start.year) * 12 + self.end.month - self.start.month + 1
        return (self.annual_value * months / 12).quantize(PENNY, ROUND_HALF_UP)

    def active_on(self, day: dt.date) -> bool:
        return self.start <= day <= self.end


def build_commissioning(tenant: Tenant, years: list[FinancialYear], rng: random.Random) -> list[Agreement]:
    demo = tenant.demo
    districts = tuple(d.name for d in tenant.districts)
    providers = _providers(demo.providers, districts, rng)
    categories = _categories(tenant, demo.agreements, rng)
    first_year = years[0]
    agreements: list[Agreement] = []
    for n, category in enumerate(categories, start=1):
        provider = providers[(n - 1) % len(providers)] if n <= len(providers) else rng.choice(providers)
        if category in ("community_safety_grant", "immediate_justice", "violence_reduction") and rng.random() < 0.4:
            served = (rng.choice(districts),)
        else:
            served = districts if rng.random() < 0.6 else tuple(sorted(rng.sample(districts, k=max(1, len(districts) // 2)),
                                                                         key=districts.index))
        a_type = ("Grant" if category in ("community_safety_grant", "violence_reduction", "immediate_justice")
                  else rng.choice(("Contract", "Contract", "Contract", "Co-commissioning", "Grant")))
        if category in ("appropriate_adults", "liaison_diversion"):
            a_type = "Service level agreement" if rng.random() < 0.5 else "Co-commissioning"
        route = {"Contract": rng.choice(("Open tender", "Open tender", "Framework call-off", "Direct award")),
                 "Grant": "Grant round", "Co-commissioning": "Co-commissioned",
                 "Service level agreement": "Direct award"}[a_type]
        start, end = _dates(category, first_year, len(years), rng)
        agreements.append(Agreement(
            ref=f"{_initials(tenant.slug)}-{first_year.start.year % 100:02d}-{n:03d}",
            provider=provider, service_name=rng.choice(CATEGORY_SERVICES[category]), category=category,
            cohort=CATEGORY_COHORT[category], districts=served, agreement_type=a_type, role=ROLE_BY_TYPE[a_type],
            procurement_route=route, start=start, end=end, annual_value=Decimal(0),
            decision_record=f"DR-{start.year}-{rng.randint(10, 199):03d}",
            eia_done=rng.random() < 0.93, dpia_done=rng.random() < 0.9,
            modern_slavery=("Yes" if rng.random() < 0.9 else "No") if route == "Open tender" else "N/A",
            social_value_score=rng.randint(4, 10) if route == "Open tender" else None,
        ))
    _spread_grant_rounds(agreements, years)
    _fund(tenant, agreements, years, rng)
    _rounds_through_the_year(tenant, agreements)
    _size(tenant, agreements, years, rng)
    for a in agreements:
        a.ages_served = ages_served(a.category, a.service_name)
        a.priorities = _weights(tenant.plans, a, rng)
        a.kpis = _kpis(a, rng)
        a.posts = _posts(a)
        if a.grant_round:
            # A round of small community grants, held in the register as one line per round.
            projects = max(6, int(a.total_value / Decimal(rng.randint(6_000, 12_000))))
            a.service_name = f"{a.service_name}s, {a.grant_round} ({projects} projects)"
    influencing = influencing_entry(tenant, providers, first_year, len(agreements) + 1, rng)
    influencing.priorities = _weights(tenant.plans, influencing, rng)
    agreements.append(influencing)
    return agreements


def influencing_entry(tenant: Tenant, providers: list[Provider], first_year: FinancialYear, n: int,
                      rng: random.Random) -> Agreement:
    """A register entry where the office influences a service it does not pay for: a council's
    domestic abuse commissioning, on whose plans the office comments and whose tender it helps
    evaluate (the Avon and Somerset strategy's 'Influencing Commissioner'). No funding stream pays
    for it, so it has no funding split, no value, no ledger lines and no monitoring returns."""
    council = next((p for p in providers if p.org_type == "Council"), None)
    if council is None:
        district = tenant.districts[0].name
        council = Provider(f"PRV{len(providers) + 1:03d}", f"{district} Council", "Council", None, None,
                           (district,), "Large")
    return Agreement(
        ref=f"{_initials(tenant.slug)}-{first_year.start.year % 100:02d}-{n:03d}", provider=council,
        service_name="Local authority domestic abuse commissioning (influencing)", category="domestic_abuse",
        cohort=CATEGORY_COHORT["domestic_abuse"], districts=council.districts[:1] if council.districts else (),
        agreement_type="Partnership", role=ROLE_BY_TYPE["Partnership"], procurement_route="Not procured",
        start=first_year.start, end=dt.date(first_year.start.year + 3, 3, 31), annual_value=Decimal(0),
        decision_record=f"DR-{first_year.start.year}-{rng.randint(10, 199):03d}", eia_done=True, dpia_done=False,
        modern_slavery="N/A", social_value_score=None, ages_served=CATEGORY_AGES["domestic_abuse"])


# What an independent sexual or domestic violence adviser post costs a provider a year, with
# supervision and overheads: the demo's FTE funded is the agreement's value over this, in halves.
ADVISER_POST_COST = Decimal("42000")


def _posts(a: Agreement) -> list[tuple[str, Decimal]]:
    """The adviser posts an ISVA or IDVA service funds (no random draw: the rest of the demo is unchanged)."""
    kind = {"idva": "IDVA", "sexual_violence_isva": "ISVA"}.get(a.category)
    if kind is None:
        return []
    halves = max(1, int((a.annual_value * 2 / ADVISER_POST_COST).to_integral_value(ROUND_HALF_UP)))
    return [(kind, Decimal(halves) / 2)]


def pays(a: Agreement) -> bool:
    """Whether the office pays for the agreement (an influencing role carries no money)."""
    return bool(a.funding) and a.annual_value > 0


def _spread_grant_rounds(agreements: list[Agreement], years: list[FinancialYear]) -> None:
    """Community safety grants are one-year awards made in rounds; every year has a round."""
    grants = [a for a in agreements if a.category == "community_safety_grant"]
    for i, a in enumerate(grants):
        year = years[i % len(years)]
        a.start, a.end = year.start, year.end


def _rounds_through_the_year(tenant: Tenant, agreements: list[Agreement]) -> None:
    """Grants from recovered criminal assets (POCA) go out in rounds of small awards through the
    year, each project to be delivered by 31 March: West Yorkshire's Safer Communities Fund made
    one round in September 2024 and another later that year (Police and Crime Plan 2024-28). In
    each year the first such grant is the autumn round (from 1 September), the next the winter
    round (from 1 December)."""
    poca = {s.id for s in tenant.funding_streams if s.funder == "POCA"}
    seen: dict[int, int] = {}
    for a in agreements:
        if a.category != "community_safety_grant" or a.funding[0][0] not in poca:
            continue
        n = seen.get(a.start.year, 0)
        seen[a.start.year] = n + 1
        month = (9, 12)[n % 2]
        a.start = dt.date(a.start.year, month, 1)
        a.grant_round = f"{a.start:%B %Y} round"


def _initials(slug: str) -> str:
    return "".join(word[0] for word in slug.split("_") if word != "and").upper()


def _providers(count: int, districts: tuple[str, ...], rng: random.Random) -> list[Provider]:
    names: set[str] = set()
    providers = []
    while len(providers) < count:
        name = f"{rng.choice(NAME_FIRST)} {rng.choice(NAME_SECOND)}"
        if name in names:
            continue
        names.add(name)
        kind = rng.choices(("Charity", "CIC", "Council", "Company", "NHS"), weights=(62, 12, 10, 10, 6))[0]
        if kind == "Council":
            name = f"{rng.choice(districts)} Community Safety Partnership"
            if name in names:
                continue
            names.add(name)
        charity = f"{rng.randint(1_000_000, 1_199_999)}" if kind == "Charity" else None
        company = f"{rng.randint(1_000_000, 15_999_999):08d}" if kind in ("Charity", "CIC", "Company") and rng.random() < 0.8 else None
        providers.append(Provider(f"PRV{len(providers) + 1:03d}", name, kind, charity, company,
                                  districts, rng.choice(("Micro", "Small", "Medium", "Large"))))
    return providers


def _categories(tenant: Tenant, count: int, rng: random.Random) -> list[str]:
    """At least one agreement per ring-fenced category a stream pays for, the rest weighted."""
    fenced = [c for s in tenant.funding_streams for c in s.ring_fence]
    core = list(dict.fromkeys(c for c in fenced if c not in ("restorative_justice",)))
    weights = {"victims_all_crime": 3, "domestic_abuse": 5, "sexual_violence_isva": 4, "idva": 3,
               "restorative_justice": 1, "perpetrator_programme": 2, "violence_reduction": 6,
               "community_safety_grant": 6, "immediate_justice": 1, "appropriate_adults": 1, "liaison_diversion": 1}
    allowed = [c for c in weights if c in fenced or any(not s.ring_fence for s in tenant.funding_streams)]
    rest = rng.choices(allowed, weights=[weights[c] for c in allowed], k=max(0, count - len(core)))
    return (core + rest)[:count]


def _dates(category: str, first: FinancialYear, n_years: int, rng: random.Random) -> tuple[dt.date, dt.date]:
    start = first.start
    if category == "community_safety_grant":
        year = rng.randrange(n_years)
        return dt.date(start.year + year, 4, 1), dt.date(start.year + year + 1, 3, 31)
    if rng.random() < 0.25:
        start = dt.date(start.year - 1, 4, 1)
    length = rng.choice((2, 3, 3, 4, 5))
    end = dt.date(start.year + length, 3, 31)
    if rng.random() < 0.15:
        end = dt.date(end.year - 1, 9, 30)
    return start, max(end, dt.date(first.start.year + 1, 3, 31))


def _fund(tenant: Tenant, agreements: list[Agreement], years: list[FinancialYear], rng: random.Random) -> None:
    """Each agreement paid from a stream whose ring-fence takes its category and that exists in the
    first year (MoJ's ring-fences changed in 2025-26); partners' match funding is booked by the
    partners' own lines (demo.finance), not agreements. Every ring-fenced stream funds something
    in every year."""
    first = years[0].label
    live = [s for s in tenant.funding_streams if not s.match_funding_for
            and (s.first_year or first) <= first <= (s.last_year or first)]
    unrestricted = [s.id for s in live if not s.ring_fence]
    for a in agreements:
        fits = [s.id for s in live if a.category in s.ring_fence]
        primary = rng.choice(fits) if fits else rng.choice(unrestricted)
        if unrestricted and primary not in unrestricted and rng.random() < 0.3:
            a.funding = [(primary, Decimal("0.75")), (rng.choice(unrestricted), Decimal("0.25"))]
        else:
            a.funding = [(primary, Decimal("1"))]
    for stream in (s for s in live if s.ring_fence):
        for year in years:
            def runs(a):
                return a.start <= year.end and a.end >= year.start
            if any(sid == stream.id and runs(a) for a in agreements for sid, _ in a.funding):
                continue
            counts = {}
            for a in agreements:
                counts[a.funding[0][0]] = counts.get(a.funding[0][0], 0) + 1
            movable = [a for a in agreements if a.category in stream.ring_fence and len(a.funding) == 1
                       and counts[a.funding[0][0]] > 1 and runs(a)]
            if movable:    # the longest-running, so the stream has spend in as many years as can be
                max(movable, key=lambda a: (a.end - a.start, a.ref)).funding = [(stream.id, Decimal("1"))]


TYPICAL_ANNUAL_VALUE = {
    "victims_all_crime": 900_000, "domestic_abuse": 350_000, "sexual_violence_isva": 300_000, "idva": 250_000,
    "restorative_justice": 180_000, "perpetrator_programme": 200_000, "violence_reduction": 250_000,
    "community_safety_grant": 15_000, "immediate_justice": 450_000, "appropriate_adults": 120_000,
    "liaison_diversion": 200_000,
}


def _months_in(a: Agreement, year: FinancialYear) -> int:
    first, last = max(a.start, year.start), min(a.end, year.end)
    return max(0, (last.year - first.year) * 12 + last.month - first.month + 1)


def _size(tenant: Tenant, agreements: list[Agreement], years: list[FinancialYear], rng: random.Random) -> None:
    """Typical values for the service, then scaled so that each stream's agreements commit most,
    not all, of its allocation in every year (an office plans to spend its grants): between 93%
    and 99% of it, less the part a Violence Reduction Unit spends itself. Agreements paid by two
    streams are scaled by both, so the values are settled by a few rounds of proportional fitting."""
    for a in agreements:
        a.annual_value = Decimal(int(TYPICAL_ANNUAL_VALUE[a.category] * rng.uniform(0.6, 1.5) / 100) * 100)
    target: dict[tuple[str, str], float] = {}
    for x in sorted(tenant.demo.allocations, key=lambda x: (x.stream_id, x.financial_year)):
        if x.financial_year not in {y.label for y in years}:
            continue
        stream = next((s for s in tenant.funding_streams if s.id == x.stream_id), None)
        own = float(sum(VRU_OWN_SHARE) / 2) if stream is not None and stream.reported_in == "ho-vru" else 0.0
        target[(x.stream_id, x.financial_year)] = float(x.amount) * (rng.uniform(0.93, 0.99) - own)
    values = {a.ref: float(a.annual_value) for a in agreements}
    cells = {key: [(a, float(share) * _months_in(a, FinancialYear.parse(key[1])) / 12)
                   for a in agreements for s, share in a.funding if s == key[0]] for key in target}
    for _ in range(60):
        factors: dict[str, list[tuple[float, float]]] = {}
        for key, members in cells.items():
            committed = sum(values[a.ref] * w for a, w in members)
            if committed <= 0:
                continue
            for a, w in members:
                if w > 0:
                    factors.setdefault(a.ref, []).append((values[a.ref] * w, target[key] / committed))
        for ref, parts in factors.items():
            weight = sum(c for c, _ in parts)
            values[ref] *= sum(c * r for c, r in parts) / weight
    for a in agreements:
        a.annual_value = max(Decimal(5_000), Decimal(round(values[a.ref] / 100)) * 100)


def _weights(plans: tuple[Plan, ...], a: Agreement, rng: random.Random) -> list[tuple[str, str, Decimal]]:
    out = []
    for plan in plans:
        if plan.valid_to < a.start or plan.valid_from > a.end:
            continue
        words = CATEGORY_PRIORITY_WORDS[a.category]
        main = next((p for w in words for p in plan.priorities if w in p.name), plan.priorities[0])
        others = [p for p in plan.priorities if p.id != main.id]
        if others and rng.random() < 0.45:
            second = rng.choice(others)
            w = Decimal(rng.choice(("0.6", "0.7", "0.75", "0.8")))
            out += [(plan.id, main.id, w), (plan.id, second.id, Decimal(1) - w)]
        else:
            out.append((plan.id, main.id, Decimal(1)))
    return out


def _kpis(a: Agreement, rng: random.Random) -> list[tuple[str, str, str]]:
    base = [("Referrals contacted within 2 working days", str(rng.choice((85, 90, 95))), "%"),
            ("Service users completing support", str(rng.choice((60, 65, 70, 75))), "%")]
    if a.category in ("victims_all_crime", "domestic_abuse", "sexual_violence_isva", "idva"):
        base.append(("Service users reporting they cope better", str(rng.choice((70, 75, 80))), "%"))
    if a.category == "immediate_justice":
        base.append(("Hours of reparation completed", str(rng.randrange(800, 2000, 50)), "hours"))
    return base
