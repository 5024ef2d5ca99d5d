"""The app's screens, one module each, so a screen's widgets are imported only when it is first opened."""
