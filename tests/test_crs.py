"""facility_opt.crs: the one metric-CRS check, shared by access and locate."""

from __future__ import annotations

import pytest
from pyproj import CRS

from facility_opt.crs import crs_issues, require_metric_crs
from facility_opt.errors import DataValidationError


def test_projected_crs_passes():
    assert crs_issues(CRS("EPSG:6677"), "zones") == []
    require_metric_crs(CRS("EPSG:6677"), "zones")


def test_missing_and_geographic_crs_name_the_frame_and_the_fix():
    (none,) = crs_issues(None, "zones")
    assert str(none) == "zones, field 'crs': has no CRS; set it, then re-project with .to_crs(\"EPSG:6677\")"
    with pytest.raises(
        DataValidationError,
        match=r"facilities, field \'crs\': is in a geographic CRS \(EPSG:4326\).*"
        r'\.to_crs\("EPSG:6677"\)',
    ):
        require_metric_crs(CRS("EPSG:4326"), "facilities")
