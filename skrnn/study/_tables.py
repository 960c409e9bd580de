"""Result rows, ranked tables and their Markdown rendering."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._models import ModelRun

_RESULT_COLUMNS = [
    "part", "experiment", "model", "rank", "features", "n_features", "n_train", "n_test",
    "mse_mean", "mse_std", "mse_zb_mean", "n_seeds",
    "mse", "rmse", "mae", "r2", "mape", "mse_zb", "mse_vs_naive", "delta_mse",
    "train_time_s", "epochs", "n_params",
]

_DISPLAY = {
    "rank": "rank",
    "experiment": "experiment",
    "model": "model",
    "mse_mean": "mean MSE over seeds",
    "mse_std": "sd",
    "mse": "MSE (USD²)",
    "rmse": "RMSE",
    "mae": "MAE",
    "r2": "R²",
    "mape": "MAPE %",
    "mse_zb": "MSE zero-base",
    "mse_vs_naive": "MSE vs naive",
    "delta_mse": "ΔMSE",
    "train_time_s": "train s",
    "epochs": "epochs",
    "n_params": "weights",
}

_FORMATS = {
    "mse": "{:,.1f}", "mse_mean": "{:,.1f}", "mse_std": "{:,.1f}", "rmse": "{:.2f}", "mae": "{:.2f}", "r2": "{:.4f}", "mape": "{:.2f}",
    "mse_zb": "{:.5f}", "mse_vs_naive": "{:+.1%}", "delta_mse": "{:+,.1f}",
    "train_time_s": "{:.1f}", "epochs": "{:.0f}", "n_params": "{:,.0f}", "rank": "{:.0f}",
}


def result_row(part, run: ModelRun, seeds=False, **extra) -> dict:
    row = {
        "part": part, "experiment": run.experiment, "model": run.model,
        "features": ",".join(run.columns), "n_features": len(run.columns),
        "n_train": run.n_train, "n_test": len(run.actual),
        **run.metrics,
        "train_time_s": run.train_time if run.kind != "naive" else float("nan"),
        "epochs": run.n_epochs if run.n_epochs is not None else float("nan"),
        "n_params": run.n_params if run.n_params is not None else float("nan"),
    }
    if seeds:
        if run.seed_mse:
            row.update(n_seeds=len(run.seed_mse), mse_mean=float(np.mean(run.seed_mse)),
                       mse_std=float(np.std(run.seed_mse, ddof=1)) if len(run.seed_mse) > 1 else float("nan"),
                       mse_zb_mean=float(np.mean(run.seed_mse_zb)))
        else:  # deterministic baselines
            row.update(n_seeds=float("nan"), mse_mean=run.metrics["mse"], mse_std=float("nan"),
                       mse_zb_mean=run.metrics["mse_zb"])
    row.update(extra)
    return row


def rank_table(rows: list[dict], naive_mse: float) -> pd.DataFrame:
    table = pd.DataFrame(rows)
    by = "mse_mean" if "mse_mean" in table.columns else "mse"
    table["mse_vs_naive"] = table[by] / naive_mse - 1.0
    table = table.sort_values(by, kind="stable").reset_index(drop=True)
    table["rank"] = np.arange(1, len(table) + 1)
    return result_order(table)


def result_order(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with the columns of :data:`_RESULT_COLUMNS` it has (and ``delta_mse``), in order."""
    return table.reindex(columns=[c for c in _RESULT_COLUMNS if c in table.columns or c == "delta_mse"])


def _fmt_cell(value, fmt=None):
    if value is None:
        return ""
    if isinstance(value, (float, np.floating)):
        if not np.isfinite(value):
            return ""
        if fmt:
            return fmt.format(value)
        return f"{value:.4g}"
    if isinstance(value, (int, np.integer)) and fmt:
        return fmt.format(value)
    return str(value)


def markdown_table(df: pd.DataFrame, formats: dict | None = None, columns: dict | None = None) -> str:
    """Render a DataFrame as a Markdown table (no ``tabulate`` needed).

    Parameters
    ----------
    df : DataFrame
    formats : dict of column -> format string, optional
        e.g. ``{"mse": "{:,.1f}"}``; other floats use 4 significant digits.
    columns : dict of column -> header, optional
        Which columns to show, in order, and their headers (default: all).

    Examples
    --------
    >>> import pandas as pd
    >>> from skrnn.study import markdown_table
    >>> print(markdown_table(pd.DataFrame({"a": ["x"], "b": [0.123456]})))
    | a | b |
    |---|---:|
    | x | 0.1235 |
    """
    formats = formats or {}
    columns = columns or {c: str(c) for c in df.columns}
    cols = [c for c in columns if c in df.columns]
    numeric = [pd.api.types.is_numeric_dtype(df[c].dtype) for c in cols]

    def esc(text):
        return str(text).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(esc(columns[c]) for c in cols) + " |",
             "|" + "|".join("---:" if n else "---" for n in numeric) + "|"]
    for _, row in df.iterrows():
        lines.append("| " + " | ".join(esc(_fmt_cell(row[c], formats.get(c))) for c in cols) + " |")
    return "\n".join(lines)


def display_table(table: pd.DataFrame, drop=()) -> str:
    cols = {k: v for k, v in _DISPLAY.items() if k in table.columns and k not in drop
            and not table[k].isna().all()}
    return markdown_table(table, _FORMATS, cols)
