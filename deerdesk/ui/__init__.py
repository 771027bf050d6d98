"""The Qt window: widgets, models and the adapter from engine events to Qt signals."""
