"""SYNTHETIC benchmark data: a CDM data package shaped like datapackages/cdm/, `scale` times larger.

For benchmarks only: the values are random and must never be published. The package has the
real package's resources and Table Schemas (copied from datapackages/cdm/datapackage.json at
run time), row counts of the real CSVs x scale, and passes build_scripts.validate:

* serials: issuance blocks are contiguous runs per (originating party, unit type), so
  quantity = serial_end - serial_start + 1 and blocks never overlap;
* cancellations (voluntary and administrative together) are carved out of issuance blocks
  as disjoint sub-blocks, so each lies inside one block of the same party, unit type,
  project and commitment period, no unit is cancelled twice and no project has more units
  cancelled than issued; they are dated between the issuance date and as_of;
* monitoring periods of a project follow each other without overlap, issuances come after
  the project's registration date, in the name of its (first) host Party;
* holdings per commitment period and unit type stay below issued minus cancelled;
* one document, 'synthetic', without a raw file (so no raw/ checksum to verify); the
  descriptor has no 'sources'. Every row names it, with source_location 'synthetic row N'.

Holdings have (account_type, unit_type) as primary key, so they grow by account sets:
10 rows x max(1, round(scale)). At scale > ~80 the CSVs exceed the default limits of
build_scripts/validate/limits.py (1,000,000 rows, 200 MB per file): raise REGISTRY_MAX_* to
validate them.

    python -m bench.synthetic /tmp/synth/cdm --scale 10 [--seed 0]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

REAL = Path(__file__).resolve().parent.parent / "datapackages" / "cdm"
DOC = "synthetic"
CHUNK = 500_000  # rows formatted and written at a time (bounds memory at large scales)
UNITS = np.array(["CER", "tCER", "lCER"])
EPOCH = np.datetime64("1970-01-01", "D")


def _day(text: str) -> int:
    return int((np.datetime64(text, "D") - EPOCH).astype(np.int64))


def _dates(days: np.ndarray, missing: np.ndarray | None = None) -> np.ndarray:
    """Days since 1970-01-01 -> 'YYYY-MM-DD' strings ('' where missing)."""
    text = np.datetime_as_string(days.astype("datetime64[D]"), unit="D").astype(object)
    if missing is not None:
        text[missing] = ""
    return text


def _group_cumsum(values: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """Inclusive cumulative sum of `values` within runs of equal, contiguous `keys`."""
    total = np.cumsum(values)
    if len(values) == 0:
        return total
    first = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    lengths = np.diff(np.r_[first, len(values)])
    return total - np.repeat(total[first] - values[first], lengths)


def _group_sum(values: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Per-row sum of `values` over its group; rows grouped in runs of the given nonzero counts."""
    if len(values) == 0:
        return values
    starts = np.r_[0, np.cumsum(counts)[:-1]]
    return np.repeat(np.add.reduceat(values, starts), counts)


def _locations(sl: slice) -> list[str]:
    return [f"synthetic row {n}" for n in range(sl.start + 2, sl.stop + 2)]  # CSV row, header = 1


def _write_csv(path: Path, n: int, columns: list[str], chunk: Callable[[slice], dict]) -> None:
    """Write `n` rows in chunks; chunk(slice) gives column -> values (array or scalar)."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        for start in range(0, max(n, 1), CHUNK):
            sl = slice(start, min(n, start + CHUNK))
            values = chunk(sl)
            values["source_document"], values["source_location"] = DOC, _locations(sl)
            frame = pd.DataFrame({c: values[c] for c in columns}, index=pd.RangeIndex(sl.stop - sl.start))
            frame.to_csv(handle, index=False, header=start == 0, lineterminator="\n")


def write_synthetic_cdm(target: Path, scale: float, seed: int = 0) -> dict:
    """Write target/datapackage.json and target/data/*.csv; return the row count of each resource."""
    target = Path(target)
    (target / "data").mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    descriptor = json.loads((REAL / "datapackage.json").read_text(encoding="utf-8"))
    real = {r["name"]: pd.read_csv(REAL / r["path"], dtype=str, keep_default_na=False)
            for r in descriptor["resources"]}
    header = {r["name"]: [f["name"] for f in r["schema"]["fields"]] for r in descriptor["resources"]}
    as_of = _day(descriptor["as_of"])
    count = {name: int(round(len(frame) * scale)) for name, frame in real.items()}

    # Parties: the real ones. Entities: synthetic DOE codes with Zipf-like use.
    parties = real["parties"]
    codes = parties["party_code"].to_numpy()
    party_index = {code: i for i, code in enumerate(codes)}
    n_ent = max(1, int(round(len(real["entities"]) * min(scale, 10))))
    entity_ids = np.array([f"SYN-DOE-{i:03d}" for i in range(1, n_ent + 1)], dtype=object)
    use = 1 / np.arange(1, n_ent + 1) ** 0.8  # how often each DOE verifies

    # Projects: resample real rows for the categorical columns jointly (keeps status, record
    # flags, missing titles and dates consistent); ids, titles, dates and estimates are new.
    n_proj = count["projects"]
    src = real["projects"].iloc[rng.integers(0, len(real["projects"]), n_proj)].reset_index(drop=True)
    project_id = np.cumsum(rng.geometric(0.78, n_proj))
    registered = src["registration_date"] != ""
    reg = np.zeros(n_proj, dtype=np.int64)
    reg[registered] = (pd.to_datetime(src.loc[registered, "registration_date"]).to_numpy()
                       .astype("datetime64[D]").astype(np.int64))
    reg = np.clip(reg + rng.integers(-90, 91, n_proj), _day("2004-11-18"), _day("2020-12-31"))
    estimate = pd.to_numeric(src["estimated_annual_reductions"]).astype("Int64")
    estimate = (estimate * rng.uniform(0.8, 1.25, n_proj)).round().astype("Int64")
    host = src["host_party"].str.split(";").str[0]
    kind = src["project_subtype"].where(src["project_subtype"] != "", src["project_type"]).replace("", "CDM")
    names = host.map(dict(zip(codes, parties["name"])))
    title = ("Synthetic " + kind + " project " + pd.Series(project_id).astype(str) + ", " + names)
    title = title.where(src["title"] != "", "")

    # How many issuances each project gets: about half of the projects that can be issued units,
    # Pareto weights (heavy tail, capped so no project needs more monitoring periods than days).
    eligible = src["status"].isin(["registered", ""]).to_numpy()
    weight = eligible * (rng.random(n_proj) < 0.55) * np.minimum(rng.pareto(1.2, n_proj) + 1, 40)
    if weight.sum() == 0:
        weight = eligible.astype(float)
    per_project = rng.multinomial(count["issuances"], weight / weight.sum())
    start = np.where(registered, reg, _day("2008-01-01") + rng.integers(0, 2500, n_proj))
    window = as_of - 20 - start  # days in which monitoring periods end
    assert (per_project <= window).all(), "a project has more issuances than days to monitor"
    forestry = src["project_type"].isin(["Afforestation", "Reforestation"]).to_numpy()
    unit_of = np.where(forestry, np.where(rng.random(n_proj) < 0.12, 2, 1), 0)  # tCER/lCER for A/R
    party_of = host.map(party_index).to_numpy(dtype=np.int64)  # issued in the name of the first host

    # Issuances, grouped by project: sorted, strictly increasing monitoring-period ends.
    n_iss = int(per_project.sum())
    proj = np.repeat(np.arange(n_proj), per_project)
    k = per_project[proj]
    early = rng.random(n_iss) ** 2.5  # most monitoring ended in the first commitment period
    offset = np.floor(early * (window[proj] - k + 1)).astype(np.int64)
    offset = offset[np.lexsort((offset, proj))]
    rank = np.arange(n_iss) - np.repeat(np.r_[0, np.cumsum(per_project)[:-1]], per_project)
    mp_end = start[proj] + offset + rank
    mp_start = np.empty_like(mp_end)
    mp_start[1:] = mp_end[:-1] + 1  # the day after the previous period of the project ...
    first = rank == 0
    mp_start[first] = start[proj][first] - rng.integers(0, 181, int(first.sum()))  # ... or before start
    iss = {
        "proj": proj, "party": party_of[proj], "unit": unit_of[proj],
        "date": np.minimum(mp_end + rng.integers(15, 241, n_iss), as_of),
        "mp_start": mp_start, "mp_end": mp_end,
        "cp": np.where(mp_end <= _day("2012-12-31"), 1, 2),
        "quantity": np.clip(rng.lognormal(np.log(64_000), 1.38, n_iss), 2, 2e7).astype(np.int64),
        "entity": rng.choice(n_ent, n_iss, p=use / use.sum()),
        "no_period": rng.random(n_iss) < 0.004,  # not matched in the issuances-by-project file
        "gap": np.where(rng.random(n_iss) < 0.1, rng.integers(1, 1000, n_iss), 0),
    }
    # Serial numbers: consecutive blocks (with occasional gaps) per party and unit type, by date.
    order = np.lexsort((iss["proj"], iss["date"], iss["unit"], iss["party"]))
    iss = {key: value[order] for key, value in iss.items()}
    block = iss["party"] * 3 + iss["unit"]
    iss["serial_end"] = _group_cumsum(iss["gap"] + iss["quantity"], block)
    iss["serial_start"] = iss["serial_end"] - iss["quantity"] + 1
    order = np.lexsort((iss["serial_start"], iss["unit"], iss["party"], iss["date"]))  # file order
    iss = {key: value[order] for key, value in iss.items()}

    # Cancellations: ~22% of projects cancel, heavy-tailed, from blocks of >= 5,000 units. The
    # blocks of one issuance are disjoint sub-blocks: sizes capped to share a random part of it,
    # separated by random gaps that together never exceed the units left over.
    n_adm = count["administrative_cancellations"]
    n_can = count["voluntary_cancellations"] + n_adm
    appetite = (rng.random(n_proj) < 0.22) * np.minimum(rng.pareto(1.0, n_proj) + 1, 100)
    weight = appetite[iss["proj"]] * (iss["quantity"] >= 5000)
    if weight.sum() == 0:
        weight = (iss["quantity"] >= 5000).astype(float)
    per_issuance = rng.multinomial(n_can, weight / weight.sum()) if n_can else np.zeros(n_iss, np.int64)
    assert (2 * per_issuance <= iss["quantity"]).all()
    parent = np.repeat(np.arange(n_iss), per_issuance)
    m = per_issuance[parent]
    size_of = iss["quantity"][parent]
    groups = per_issuance[per_issuance > 0]
    wanted = rng.lognormal(np.log(30), 2.5, n_can)
    budget = np.floor(rng.uniform(0.05, 0.9, n_iss)[parent] * (size_of - m))
    quantity = np.maximum(1, np.floor(np.minimum(wanted, budget / m))).astype(np.int64)  # sum <= budget + m
    slack = size_of - _group_sum(quantity, groups)
    spread = rng.exponential(size=n_can)
    share = spread / (_group_sum(spread, groups) + 1 + rng.exponential(size=n_iss)[parent])
    gaps = np.floor(slack * share).astype(np.int64)
    can_end = iss["serial_start"][parent] + _group_cumsum(gaps + quantity, parent) - 1
    assert (slack >= 0).all() and (can_end <= iss["serial_end"][parent]).all()
    earliest = np.maximum(iss["date"][parent], _day("2012-10-27"))  # the reports start then
    can = {
        "parent": parent, "quantity": quantity, "serial_end": can_end, "serial_start": can_end - quantity + 1,
        "date": np.minimum(earliest + np.floor(rng.random(n_can) ** 0.9 * (as_of - earliest + 1)), as_of
                           ).astype(np.int64),
        "vcp": (rng.random(n_can) < 0.78).astype(np.int64),
        "admin": np.isin(np.arange(n_can), rng.choice(n_can, n_adm, replace=False)),
    }
    for key in ("proj", "party", "unit", "cp"):
        can[key] = iss[key][parent]
    order = np.lexsort((can["serial_start"], can["unit"], can["party"], can["date"]))
    can = {key: value[order] for key, value in can.items()}

    # Holdings: below issued minus cancelled per (commitment period, unit type), split over sets.
    issued = np.zeros((3, 3), np.int64)
    cancelled = np.zeros((3, 3), np.int64)
    np.add.at(issued, (iss["cp"], iss["unit"]), iss["quantity"])
    np.add.at(cancelled, (can["cp"], can["unit"]), can["quantity"])
    real_held = {(int(r.commitment_period), r.unit_type): int(r.quantity) for r in real["holdings"].itertuples()}
    n_sets = max(1, int(round(scale)))
    cells = [(cp, unit) for cp in (1, 2) for unit in ("CER", "tCER", "lCER", "AAU", "ERU")]
    total = {}
    for cp, unit in cells:
        if unit in UNITS:
            u = int(np.flatnonzero(UNITS == unit)[0])
            total[cp, unit] = int((issued[cp, u] - cancelled[cp, u]) * rng.uniform(0.15, 0.45))
        else:  # AAUs and ERUs are not issued by the CDM Registry: scale the real figure
            total[cp, unit] = int(real_held.get((cp, unit), 0) * scale)
    shares = rng.dirichlet(np.ones(n_sets), size=len(cells))  # floor(total x share) sums to <= total
    holdings = [(cp, f"Total units in the pending account and in holding accounts for CP{cp}" if s == 0
                 else f"Synthetic holding accounts, set {s + 1}, for CP{cp}", unit, int(total[cp, unit] * shares[c, s]))
                for s in range(n_sets) for c, (cp, unit) in enumerate(cells)]

    # Write the tables, in the real column order.
    data, n = target / "data", {}
    synthetic = [DOC, f"SYNTHETIC BENCHMARK DATA (scale {scale:g}, seed {seed})", "bench/synthetic.py", "en",
                 "source", "", "", "Random data generated by bench/synthetic.py for benchmarks. Not a real source: "
                 "never publish it."]
    tables = {
        "documents": (1, lambda sl: dict(zip(header["documents"], synthetic))),
        "parties": (len(parties), lambda sl: {**parties.iloc[sl].reset_index(drop=True).to_dict("series"),
                                              "source_document": DOC}),
        "entities": (n_ent, lambda sl: {"entity_id": entity_ids[sl], "name": entity_ids[sl], "entity_type": "DOE",
                                        "status": ""}),
        "projects": (n_proj, lambda sl: {
            "project_id": project_id[sl], "mechanism": "CDM", "track": "",
            **{c: src[c].iloc[sl].to_numpy() for c in ("activity_type", "host_party", "other_parties",
                                                       "project_type", "project_subtype", "methodology", "status",
                                                       "record_flags")},
            "title": title.iloc[sl].to_numpy(), "registration_date": _dates(reg[sl], ~registered.to_numpy()[sl]),
            "estimated_annual_reductions": estimate.iloc[sl].array, "entity_id": ""}),
        "issuances": (n_iss, lambda sl: {
            "issuance_id": pd.Series(codes[iss["party"][sl]]) + "-" + UNITS[iss["unit"][sl]] + "-"
            + pd.Series(iss["serial_start"][sl]).astype(str),
            "project_id": project_id[iss["proj"][sl]], "originating_party": codes[iss["party"][sl]],
            "unit_type": UNITS[iss["unit"][sl]], "commitment_period": iss["cp"][sl],
            "serial_start": iss["serial_start"][sl], "serial_end": iss["serial_end"][sl],
            "quantity": iss["quantity"][sl], "issuance_date": _dates(iss["date"][sl]),
            "monitoring_period_start": _dates(iss["mp_start"][sl], iss["no_period"][sl]),
            "monitoring_period_end": _dates(iss["mp_end"][sl], iss["no_period"][sl]),
            "entity_id": np.where(iss["no_period"][sl], "", entity_ids[iss["entity"][sl]]),
            "transaction_type": "Issuance (1)", "transaction_status": "4 - Completed"}),
    }
    # Each project's host parties (the resampled host_party lists), one row each, in order.
    hosts = pd.DataFrame({"project_id": project_id, "party_code": src["host_party"].str.split(";")}).explode("party_code")
    hosts = hosts.assign(position=hosts.groupby("project_id").cumcount() + 1)
    host_columns = {c: hosts[c].to_numpy() for c in ("project_id", "party_code", "position")}
    tables["project_hosts"] = (len(hosts), lambda sl: {c: v[sl] for c, v in host_columns.items()})
    for name, admin in (("voluntary_cancellations", False), ("administrative_cancellations", True)):
        rows = {key: value[can["admin"] == admin] for key, value in can.items()}
        tables[name] = (len(rows["quantity"]), lambda sl, rows=rows: {
            "cancellation_id": pd.Series(codes[rows["party"][sl]]) + "-" + UNITS[rows["unit"][sl]] + "-"
            + pd.Series(rows["serial_start"][sl]).astype(str),
            "project_id": project_id[rows["proj"][sl]], "originating_party": codes[rows["party"][sl]],
            "unit_type": UNITS[rows["unit"][sl]], "commitment_period": rows["cp"][sl],
            "serial_start": rows["serial_start"][sl], "serial_end": rows["serial_end"][sl],
            "quantity": rows["quantity"][sl], "transaction_total": rows["quantity"][sl],
            "cancellation_date": _dates(rows["date"][sl]), "transaction_type": "Cancellation (4)",
            "transaction_status": "4 - Completed", "voluntary_cancellation_platform": rows["vcp"][sl],
            "reason": "Synthetic administrative cancellation (units issued in error)"})
    tables["holdings"] = (len(holdings), lambda sl: {
        "account_type": [h[1] for h in holdings[sl]], "commitment_period": [h[0] for h in holdings[sl]],
        "unit_type": [h[2] for h in holdings[sl]], "quantity": [h[3] for h in holdings[sl]],
        "as_of": descriptor["as_of"]})
    for resource in descriptor["resources"]:
        rows, chunk = tables[resource["name"]]
        _write_csv(target / resource["path"], rows, header[resource["name"]], chunk)
        n[resource["name"]] = rows

    # The descriptor: the real schemas, labelled synthetic, no raw sources.
    for key in ("sources", "source_dates", "source_discrepancies"):
        descriptor.pop(key, None)
    descriptor.update({
        "name": "cdm", "version": "1.0.0",
        "title": f"SYNTHETIC BENCHMARK DATA: CDM registry package at scale {scale:g} (seed {seed})",
        "description": "SYNTHETIC BENCHMARK DATA generated by bench/synthetic.py: random values shaped like the "
                       "CDM package (same resources and schemas), for benchmarks only. Never publish it.",
        "keywords": ["synthetic", "benchmark"] + descriptor.get("keywords", []),
        "synthetic": {"generator": "bench/synthetic.py", "scale": scale, "seed": seed},
    })
    (target / "datapackage.json").write_text(json.dumps(descriptor, indent=2, ensure_ascii=False) + "\n",
                                             encoding="utf-8")
    return n


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Write a SYNTHETIC CDM data package for benchmarks.")
    parser.add_argument("target", type=Path, help="package folder to write (e.g. /tmp/synth/cdm)")
    parser.add_argument("--scale", type=float, default=1.0, help="row counts relative to the real package")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    began = time.perf_counter()
    counts = write_synthetic_cdm(args.target, args.scale, args.seed)
    for name, rows in counts.items():
        print(f"{name:30} {rows:>12,}")
    print(f"{'seconds':30} {time.perf_counter() - began:>12.1f}")


if __name__ == "__main__":
    main()
