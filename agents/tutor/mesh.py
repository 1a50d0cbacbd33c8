"""What the tutor needs from its Dapr sidecar: `learnflow.sidecar.Mesh` (`learnflow.sidecar.Sidecar`
provides it; unit tests and `learnflow ask` pass `learnflow.testing.FakeSidecar`)."""

from __future__ import annotations

from learnflow.sidecar import Mesh

__all__ = ["Mesh"]
