"""The measurements, one module each; every module's run(rig) adds its part to rig.results."""
