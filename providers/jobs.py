"""Vendor job states mapped onto the portal's job states (DESIGN.md section 4).

The portal's job life cycle is ``queued -> submitted -> processing -> importing -> done``, or
``failed`` (retries exhausted / vendor-side failure) or ``rejected`` (bad input, never retried).
A vendor client reports one poll of a vendor job as a :class:`JobStatus`; ``queued`` and
``importing`` are the portal's own states and never come from a vendor.
"""

from __future__ import annotations

from dataclasses import dataclass

SUBMITTED = "submitted"
PROCESSING = "processing"
DONE = "done"
FAILED = "failed"
REJECTED = "rejected"

#: Every state a :class:`JobStatus` can carry.
STATES = (SUBMITTED, PROCESSING, DONE, FAILED, REJECTED)


@dataclass(frozen=True)
class JobStatus:
    """One poll of a vendor job.

    ``state``: one of :data:`STATES` (our vocabulary). ``vendor_state``: the raw vendor value
    (``"in_progress"``, ``"running"``...), kept for display and logs. ``error``: a readable
    reason when ``state`` is ``failed`` or ``rejected``, else ``None``.
    """

    state: str
    vendor_state: str
    error: str | None = None

    @property
    def finished(self) -> bool:
        """True when polling should stop (``done``, ``failed`` or ``rejected``)."""
        return self.state in (DONE, FAILED, REJECTED)
