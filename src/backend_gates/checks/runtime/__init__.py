"""Runtime checks: documented here, evaluated by the pytest plugin from what the run observed."""
