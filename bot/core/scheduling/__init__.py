"""When things are due: the cohort calendar, due weeks, schedule changes, cohort listings, progress."""
