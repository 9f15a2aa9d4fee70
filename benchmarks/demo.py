"""The classroom demo's speed: simulated months per second as the page plays them.

A frame steps ``RENDER_INTERVAL`` months (the model and its comparison run without the
levers) and then draws the page's three charts to PNG, as Solara does. Drawing dominates.
"""

from __future__ import annotations

import io
import time

from regroup.demo.app import RENDER_INTERVAL
from regroup.demo.views import network_figure, pool_figure, states_figure
from regroup.demo.wiring import DEMO_SCALE, DemoModel, load_settings


def demo_rate(frames: int = 8) -> tuple[float, float, float]:
    """(simulated months per second, seconds stepping per frame, seconds drawing per frame)
    at the demo's scale, with one lever on (so the comparison run steps too)."""
    model = DemoModel(load_settings().changed(prison_measures=0.8))
    for _ in range(60):  # into the interesting years: more free members and ties to draw
        model.step()
    stepping = drawing = 0.0
    for _ in range(frames):
        t0 = time.perf_counter()
        for _ in range(RENDER_INTERVAL):
            model.step()
        t1 = time.perf_counter()
        for draw in (states_figure, pool_figure, network_figure):
            draw(model).savefig(io.BytesIO(), format="png")
        t2 = time.perf_counter()
        stepping += t1 - t0
        drawing += t2 - t1
    months = frames * RENDER_INTERVAL
    return months / (stepping + drawing), stepping / frames, drawing / frames


def report() -> str:
    """One line for the suite's output."""
    rate, step, draw = demo_rate()
    return (
        f"demo (scale {DEMO_SCALE:g}, {RENDER_INTERVAL} months a frame): {rate:.1f} simulated "
        f"months/s; per frame {step:.3f} s stepping, {draw:.3f} s drawing"
    )


if __name__ == "__main__":
    print(report())
