"""Upload jobs' liveness: how many runs processed them, and when one last made progress.

Jobs already queued or running get the migration's time: if nothing is processing them (the
ones stranded before the reaper existed), the reaper fails them UPLOAD_STALL_MINUTES later,
and their page offers 重试.
"""

import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('reports', '0006_unapproved_versions_pending'),
    ]

    operations = [
        migrations.AddField(
            model_name='uploadjob',
            name='attempts',
            field=models.PositiveSmallIntegerField(default=0),
        ),
        migrations.AddField(
            model_name='uploadjob',
            name='progress_at',
            field=models.DateTimeField(default=django.utils.timezone.now),
        ),
    ]
