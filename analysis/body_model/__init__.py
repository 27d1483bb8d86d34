"""Sagittal body model that simulates labelled lower-back IMU sessions."""
