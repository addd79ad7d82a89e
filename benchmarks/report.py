"""Turn the workers' results into latest.md, latest.json and latest.png.

    python benchmarks/report.py benchmarks/results/latest.json   # redo .md and .png from JSON
"""
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

from suite import CONTENDERS, REFERENCES, SCHEMAS

REFERENCE_LABELS = {"dataclass-slots": "@dataclass(slots=True)", "cython": "Cython cdef class"}


def _num(digits: int) -> Callable:
    return lambda v: f"{v:,.{digits}f}"


def _auto(v: float) -> str:
    """ns figures: one decimal below 100, none above."""
    return f"{v:,.1f}" if abs(v) < 100 else f"{v:,.0f}"


@dataclass(frozen=True)
class Column:
    title: str
    key: str
    phase: str                      # measurement phase whose error explains a missing figure
    fmt: Callable = _auto
    none_text: str = "—"            # figure measured as "does not apply" (None)
    absent_text: str = "—"          # figure not taken for this contender


MEMORY_COLUMNS = (
    Column("RSS B/record", "rss_bytes", "memory", _num(1)),
    Column("tracemalloc B/record", "tracemalloc_bytes", "tracemalloc", _num(1)),
    Column("getsizeof B", "getsizeof", "memory", _num(0)),
    Column("GC-tracked", "gc_tracked", "memory", lambda v: "yes" if v else "no"),
    Column("gc.collect() ms", "gc_ms", "memory", _num(1)),
    Column("pickle B/record", "pickle_bytes", "pickle", _num(1)),
)
TIME_COLUMNS = (
    Column("construct ns", "construct_ns", "construct"),
    Column("construct ns, GC off", "construct_nogc_ns", "construct"),
    Column("read ns", "read_ns", "read"),
    Column("write ns", "write_ns", "write", none_text="immutable"),
    Column("== ns", "eq_ns", "eq_hash"),
    Column("hash ns", "hash_ns", "eq_hash", none_text="unhashable"),
    Column("pickle ms/100k", "pickle_ms", "pickle", _num(1)),
    Column("Σx Python ns/rec", "pysum_ns", "sums"),
    Column("Σx Cython ns/rec", "cysum_ns", "sums", _num(2)),
    Column("on CPU", "cpu_share", "construct", lambda v: f"{v:.0%}"),
)
RATIO_COLUMNS = ("rss_bytes", "construct_ns", "construct_nogc_ns", "read_ns", "write_ns",
                 "pickle_ms", "pysum_ns")
BUSY_LOAD = 1.5       # load average above the suite's own worker + half a core: warn
NOISE_LIMIT = 0.10     # a timed figure whose repeats spread more than this is marked "~"
BUSY_CPU_SHARE = 0.9  # a worker that ran less than this share of its timed wall time: warn
NOISE_NOTE = ("`~` marks a time whose repeats disagree by more than "
              f"{NOISE_LIMIT:.0%} (interquartile range / median): treat it as approximate. "
              "*on CPU*: share of the timed wall-clock time the worker actually ran "
              "(process CPU time / wall time); below 100% other processes took the CPU and "
              "wall-clock figures of that row are inflated.")
COLUMN_BY_KEY = {c.key: c for c in MEMORY_COLUMNS + TIME_COLUMNS}


# ---------------------------------------------------------------- markdown

def markdown(meta: dict, results: list) -> str:
    lines = [f"# compactclass benchmarks — {meta['date']}", "",
             f"{meta['config']['n']:,} live records per contender and schema, "
             f"{meta['config']['repeats']} repeats per figure (at least 3; fewer once a figure's "
             f"runs pass {meta['config']['budget_s']:g} s), {meta['config']['rounds']} round(s), "
             f"mode `{meta['config']['mode']}`; run took {meta['duration_s'] / 60:.1f} min. "
             "How each figure is taken: [benchmarks/README.md](../README.md).", ""]
    lines += _versions_table(meta) + [""] + _load_warning(meta, results)
    lines += ["## Summary", ""] + summary_table(results) + [""]
    for schema in SCHEMAS:
        rows = [r for r in results if r["schema"] == schema.key]
        if rows:
            lines += _schema_section(schema, rows)
    lines += _notes_section(results)
    return "\n".join(lines) + "\n"


def _versions_table(meta: dict) -> list:
    lines = ["| | |", "| --- | --- |"]
    lines += [f"| {k} | {v} |" for k, v in meta["machine"].items()]
    lines += [f"| {k} | {v} |" for k, v in meta["versions"].items()]
    return lines


def _load_warning(meta: dict, results: list) -> list:
    load, cores = meta["load"], meta["machine"]["cores"] or 1
    shares = [r["figures"]["cpu_share"] for r in results if "cpu_share" in r["figures"]]
    lowest = min(shares, default=1.0)
    clock = ("wall clock (`time.perf_counter_ns`)" if meta["config"]["clock"] == "wall" else
             "the worker's CPU time (`time.process_time_ns`; `--clock cpu`)")
    text = (f"Times are {clock}. Load average (1 min): {load['start']:.1f} at the start, "
            f"{load['end']:.1f} at the end, at most {load['max_before_worker']:.1f} when a worker "
            f"started ({cores} cores; the suite's own worker accounts for about 1). "
            f"Lowest on-CPU share of a worker: {lowest:.0%}.")
    if load["max_before_worker"] > BUSY_LOAD or lowest < BUSY_CPU_SHARE:
        text += (" **The machine was busy during this run: times are noisy"
                 + (" and inflated" if meta["config"]["clock"] == "wall" else "")
                 + "; memory figures are not affected. Rerun on a quiet machine"
                 + (" or with `--clock cpu`" if meta["config"]["clock"] == "wall" else "")
                 + ".**")
    return [text, ""]


def summary_table(results: list) -> list:
    """Bytes per record and construction time per contender, both schemas side by side."""
    head = ["contender"] + [f"{s.key} {t}" for s in SCHEMAS
                            for t in ("RSS B/record", "construct ns (GC on)")]
    lines = [_md_row(head), _md_row(["---"] + ["---:"] * (len(head) - 1))]
    for contender in CONTENDERS:
        mine = {r["schema"]: r for r in results if r["contender"] == contender.key}
        if not mine:
            continue
        label = next(iter(mine.values()))["label"]
        cells = [label]
        for schema in SCHEMAS:
            result = mine.get(schema.key)
            for key in ("rss_bytes", "construct_ns"):
                cells.append(_cell(result, COLUMN_BY_KEY[key]) if result else "")
        lines.append(_md_row(cells))
    return lines


def _schema_section(schema, rows: list) -> list:
    lines = [f"## {schema.key}: {schema.title}", ""]
    lines += ["### Memory and GC", ""] + _figure_table(rows, MEMORY_COLUMNS) + [""]
    lines += ["### Time", ""] + _figure_table(rows, TIME_COLUMNS) + ["", NOISE_NOTE, ""]
    lines += ["### Ratios", "",
              "Each cell: contender ÷ @dataclass(slots=True) / contender ÷ Cython cdef class, "
              "both measured in this run. Below 1 is smaller or faster.", ""]
    lines += _ratio_table(rows) + [""]
    lines += _problems(rows)
    return lines


def _figure_table(rows: list, columns) -> list:
    head = ["contender"] + [c.title for c in columns]
    lines = [_md_row(head), _md_row(["---"] + ["---:"] * len(columns))]
    for result in rows:
        if result["status"] == "ok":
            cells = [_cell(result, c) for c in columns]
        else:
            cells = [f"*{result['status']}*"] + [""] * (len(columns) - 1)
        lines.append(_md_row([result["label"]] + cells))
    return lines


def _cell(result: Optional[dict], column: Column) -> str:
    if result is None or result["status"] != "ok":
        return f"*{result['status']}*" if result else ""
    figures = result["figures"]
    if column.key not in figures:
        return "error" if column.phase in result["errors"] else column.absent_text
    value = figures[column.key]
    if value is None:
        return column.none_text
    text = column.fmt(value)
    if result.get("noise", {}).get(column.key, 0.0) > NOISE_LIMIT:
        text = "~" + text
    if column.key == "eq_ns" and figures.get("eq_kind") == "identity":
        text += " (identity)"
    return text


def _ratio_table(rows: list) -> list:
    refs = {key: next((r for r in rows if r["contender"] == key and r["status"] == "ok"), None)
            for key in REFERENCES}
    head = ["contender"] + [COLUMN_BY_KEY[k].title for k in RATIO_COLUMNS]
    lines = [_md_row(head), _md_row(["---"] + ["---:"] * len(RATIO_COLUMNS))]
    for result in rows:
        if result["status"] != "ok":
            continue
        cells = [" / ".join(_ratio(result, refs[ref], key) for ref in REFERENCES)
                 for key in RATIO_COLUMNS]
        lines.append(_md_row([result["label"]] + cells))
    return lines


def _ratio(result: dict, ref: Optional[dict], key: str) -> str:
    value = result["figures"].get(key)
    base = ref["figures"].get(key) if ref else None
    if value is None or base is None or base <= 0:
        return "n/a"
    ratio = value / base
    return f"{ratio:.2f}×" if abs(ratio) >= 0.1 else f"{ratio:.2g}×"


def _problems(rows: list) -> list:
    lines = []
    for result in rows:
        if result["status"] != "ok":
            lines.append(f"- **{result['label']}** {result['status']}: {result['reason']}")
        for phase, error in sorted(result.get("errors", {}).items()):
            lines.append(f"- **{result['label']}**: {phase} failed: {error}")
    return (["Skipped, failed and missing figures:", ""] + lines + [""]) if lines else []


def _notes_section(results: list) -> list:
    notes = {}
    for result in results:
        for note in result.get("notes", []):
            notes.setdefault(result["label"], [])
            if note not in notes[result["label"]]:
                notes[result["label"]].append(note)
    if not notes:
        return []
    lines = ["## Contender notes", ""]
    for label, items in notes.items():
        lines += [f"- **{label}**: " + "; ".join(items)]
    return lines + [""]


def _md_row(cells) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"


# ---------------------------------------------------------------- json and chart

def write_json(path: Path, meta: dict, results: list) -> None:
    path.write_text(json.dumps({"meta": meta, "results": results}, indent=1, default=str) + "\n")


def write_chart(path: Path, meta: dict, results: list) -> Optional[str]:
    """Bytes per record and construction time per contender, one row of panels per schema.
    Returns a reason when the chart cannot be drawn (matplotlib missing)."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:
        return f"no chart: {exc}"
    clock = "wall clock" if meta["config"]["clock"] == "wall" else "CPU time"
    panels = (("rss_bytes", "bytes per record (RSS increase)"),
              ("construct_ns", f"construction ns per record (GC on, {clock})"))
    measured = {r["contender"]: r["label"] for r in results}
    labels = [measured.get(c.key, c.label) for c in CONTENDERS]
    fig, axes = plt.subplots(len(SCHEMAS), len(panels), figsize=(13, 4.2 * len(SCHEMAS)),
                             squeeze=False)
    for row, schema in enumerate(SCHEMAS):
        by_key = {r["contender"]: r for r in results if r["schema"] == schema.key}
        for col, (key, title) in enumerate(panels):
            _bar_panel(axes[row][col], by_key, key, f"{schema.key}: {title}")
    for ax in axes.flat:
        ax.set_yticks(range(len(labels)))
        ax.set_yticklabels(labels, fontsize=8)
        ax.invert_yaxis()
    fig.suptitle(f"compactclass benchmarks, {meta['date']} — {meta['machine']['CPU']}, "
                 f"{meta['versions']['Python']}", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return None


def _bar_panel(ax, by_key: dict, key: str, title: str) -> None:
    for i, contender in enumerate(CONTENDERS):
        result = by_key.get(contender.key)
        value = result["figures"].get(key) if result and result["status"] == "ok" else None
        if value is None:
            ax.text(0, i, "  " + (result["status"] if result else "not run"), va="center",
                    fontsize=7, color="gray")
            continue
        color = ("tab:red" if contender.library == "compactclass"
                 else "tab:green" if contender.key in REFERENCES else "tab:blue")
        ax.barh(i, value, color=color)
        ax.text(value, i, f" {value:,.0f}", va="center", fontsize=7)
    ax.set_title(title, fontsize=9)
    ax.margins(x=0.15)


def rewrite(json_path: Path) -> None:
    """Regenerate latest.md and latest.png beside a latest.json (after a change to the report)."""
    data = json.loads(json_path.read_text())
    (json_path.parent / "latest.md").write_text(markdown(data["meta"], data["results"]))
    write_chart(json_path.parent / "latest.png", data["meta"], data["results"])


if __name__ == "__main__":
    rewrite(Path(sys.argv[1]))
