"""The tests. Helpers live in ``tests.support`` and are imported by name; their ``assert`` statements are
rewritten by pytest as a test module's are, so a failing check inside a helper
(``refi_qda_support.check_invariants``, ``agreement_support.assert_matches``, …) shows the values it compared."""

import pytest

pytest.register_assert_rewrite("tests.support")
