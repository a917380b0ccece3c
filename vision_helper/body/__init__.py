"""Body step: landmarks → body frame of reference → muscle regions. Pure numpy."""
