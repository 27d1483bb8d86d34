"""Analysis core: resampling, orientation, mounting calibration, bend segmentation, features, classification, scoring."""
