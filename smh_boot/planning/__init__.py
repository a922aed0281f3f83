"""Capacity planning and layout comparison over a booted board.

* :func:`fit` (``smh-boot fit``): per heap region, the peak usage of one or more allocation
  workloads and the smallest size at which all of them still succeed, found with the real heap;
* :func:`diff_reports` (``smh-boot diff``): two boots compared region by region and device by
  device.
"""

from .fit import FitReport, RegionFit, fit
from .workload import PlanRegion, Workload, bind, load_workloads

__all__ = ["FitReport", "PlanRegion", "RegionFit", "Workload", "bind", "fit", "load_workloads"]
