"""A student's journey: enrolment, consent, status, reflection and its dialogue, the plan."""
