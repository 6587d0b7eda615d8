"""The report's plots, drawn with matplotlib (Agg backend, PNG files); each returns the file name.

Plots are pure functions of the numbers they are given, so the report builder decides what to
draw and these only draw it.
"""

from __future__ import annotations

from pathlib import Path


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")  # no display on servers and in CI
    import matplotlib.pyplot as plt

    return plt


def _save(fig, out_dir: Path, name: str) -> str:
    fig.tight_layout()
    fig.savefig(out_dir / name, dpi=96)
    _pyplot().close(fig)
    return name


def bar_groups(out_dir: Path, name: str, title: str, groups: dict[str, dict[str, float]],
               ylabel: str, horizontal: bool = False) -> str:
    """Grouped bars: one group per key of `groups`, one bar per inner key (stacked colours by inner key)."""
    plt = _pyplot()
    labels = list(groups)
    series = sorted({k for g in groups.values() for k in g})
    height = max(3.0, 0.35 * len(labels) * max(1, len(series)) ** 0.5 + 1.5) if horizontal else 4.0
    fig, ax = plt.subplots(figsize=(8, height))
    width = 0.8 / max(1, len(series))
    for i, s in enumerate(series):
        pos = [j + i * width - 0.4 + width / 2 for j in range(len(labels))]
        vals = [groups[g].get(s, 0) for g in labels]
        (ax.barh if horizontal else ax.bar)(pos, vals, width, label=s)
    if horizontal:
        ax.set_yticks(range(len(labels)), labels)
        ax.invert_yaxis()
        ax.set_xlabel(ylabel)
    else:
        ax.set_xticks(range(len(labels)), labels, rotation=20, ha="right")
        ax.set_ylabel(ylabel)
    ax.set_title(title)
    if len(series) > 1 or (series and series[0] != labels[0]):
        ax.legend(fontsize="small")
    return _save(fig, out_dir, name)


def loss_curves(out_dir: Path, name: str, curves: dict[str, tuple[list[int], list[float]]]) -> str:
    """One line per training stage: loss against optimizer step."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 4))
    for label, (steps, losses) in curves.items():
        ax.plot(steps, losses, marker="o" if len(steps) < 30 else None, label=label)
    ax.set_xlabel("optimizer step")
    ax.set_ylabel("loss")
    ax.set_title("training loss per stage")
    ax.legend(fontsize="small")
    return _save(fig, out_dir, name)


def before_after(out_dir: Path, name: str, values: dict[str, float]) -> str:
    """Pass@1 of each evaluated model, in run order."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 3.5))
    labels = list(values)
    heights = [values[k] * 100 for k in labels]
    bars = ax.bar(range(len(labels)), heights, color="tab:green", edgecolor="black", linewidth=1)
    ax.bar_label(bars, labels=[f"{values[k]:.1%}" for k in labels], padding=3)
    if not any(heights):  # zero-height bars leave an empty frame: say what it shows
        ax.text(0.5, 0.5, "no evaluated model resolved a task: Pass@1 is 0% for each", transform=ax.transAxes,
                ha="center", va="center", color="dimgray")
    ax.set_xticks(range(len(labels)), labels, rotation=15, ha="right")
    ax.set_ylim(0, 105)
    ax.set_ylabel("Pass@1 (%)")
    ax.set_title("Pass@1 before and after training")
    return _save(fig, out_dir, name)
