"""Where each run's parameters come from: the ``uncertainty`` setting of scenario and
experiment files.

.. code-block:: yaml

    uncertainty:
      parameters: prior            # fixed | prior | {posterior: FILE, others: prior|fixed}
      replicates_per_draw: 2       # runs (seeds) per parameter set

With ``fixed`` every run uses the file's values and only the seed varies. With ``prior``
(or a posterior file, whose path is relative to the file that names it) a run's
``replicates`` are split into parameter sets of ``replicates_per_draw`` runs each (the last
may have fewer): the runs of one set share its parameters and differ in their seeds, which
is what splits each outcome's variance into parameters and chance. See
:mod:`regroup.experiments.draws`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from regroup.config.fields import Strict
from regroup.config.limits import MAX_REPLICATES


class Posterior(Strict):
    """A posterior file of weighted parameter sets (``regroup calibrate`` writes one), and
    where the parameters it does not name come from: their priors (``prior``, the default,
    as in a calibration with ``others: prior``) or the scenario's values (``fixed``)."""

    posterior: str = Field(min_length=1)
    others: Literal["prior", "fixed"] = "prior"


class Uncertainty(Strict):
    """Where the runs' parameters come from, and how many runs share one parameter set."""

    parameters: Literal["fixed", "prior"] | Posterior = "fixed"
    replicates_per_draw: int = Field(2, ge=1, le=MAX_REPLICATES)

    @property
    def source(self) -> str:
        """``fixed``, ``prior`` or the posterior file's path."""
        p = self.parameters
        return p.posterior if isinstance(p, Posterior) else p

    @property
    def others(self) -> str:
        """Where the parameters a posterior file does not name come from."""
        p = self.parameters
        return p.others if isinstance(p, Posterior) else "fixed"

    @property
    def fixed(self) -> bool:
        return self.parameters == "fixed"

    def draws(self, replicates: int) -> int:
        """Parameter sets for ``replicates`` runs: 1 when fixed, else one per
        ``replicates_per_draw`` runs (the last set may have fewer)."""
        return 1 if self.fixed else -(-replicates // self.replicates_per_draw)

    def relative_to(self, folder: Path) -> Uncertainty:
        """A copy whose posterior path is resolved against ``folder`` (the naming file's)."""
        p = self.parameters
        if not isinstance(p, Posterior) or Path(p.posterior).is_absolute():
            return self
        path = str((folder / p.posterior).resolve())
        return self.model_copy(update={"parameters": Posterior(posterior=path, others=p.others)})
