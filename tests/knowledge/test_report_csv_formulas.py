"""The knowledge report's export escapes cells that a spreadsheet would run as formulas."""

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone

from knowledge.models import Article

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("title", ["=1+2", "\t=cmd|' /C calc'!A0", "@SUM(A1)"])
def test_stale_export_escapes_formula_titles(client, knowledge_manager, published, title):
    Article.objects.filter(pk=published.pk).update(
        title=title, review_by=timezone.localdate() - timedelta(days=1)
    )
    client.force_login(knowledge_manager)
    exported = client.get("/agent/kb/report/?days=30&format=csv&table=stale")
    rows = list(csv.reader(io.StringIO(exported.content.decode())))
    assert rows[1][1] == "'" + title
