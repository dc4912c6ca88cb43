"""Safeguarding: screening, check-ins, alerts, the detector (model, rules, text folding, literals)."""
