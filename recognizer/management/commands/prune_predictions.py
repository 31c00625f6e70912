"""`python manage.py prune_predictions --older-than DAYS [--dry-run]`: retention for stored drawings."""

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError

from recognizer.services import prune_predictions


class Command(BaseCommand):
    help = (
        "Delete the drawings (and their predictions) older than DAYS days, oldest first, in short "
        "batches so the site keeps storing new ones meanwhile. --dry-run only counts them."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than",
            type=int,
            required=True,
            metavar="DAYS",
            help="delete drawings created more than DAYS days ago (at least 1)",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="count what would be deleted; delete nothing"
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=1000,
            metavar="N",
            help="rows deleted per transaction (default: 1000)",
        )

    def handle(self, *args, older_than, dry_run, batch_size, **options):
        if older_than < 1:
            raise CommandError("--older-than must be at least 1 day.")
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")

        def report(batch, deleted_in_batch, deleted_so_far):
            self.stdout.write(f"  batch {batch}: deleted {deleted_in_batch:,} ({deleted_so_far:,} so far)")

        result = prune_predictions(
            older_than=timedelta(days=older_than), batch_size=batch_size, dry_run=dry_run, on_batch=report
        )
        what = (
            f"older than {older_than} day{'s' if older_than != 1 else ''} "
            f"(created before {result.cutoff:%Y-%m-%d %H:%M} UTC)"
        )
        if dry_run:
            self.stdout.write(
                f"Dry run: {result.matched:,} drawing{'s' if result.matched != 1 else ''} {what} "
                "would be deleted; nothing was deleted."
            )
        elif result.deleted == 0:
            self.stdout.write(f"No drawings {what}: nothing to delete.")
        else:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Deleted {result.deleted:,} drawing{'s' if result.deleted != 1 else ''} {what} "
                    f"in {result.batches:,} batch{'es' if result.batches != 1 else ''}."
                )
            )
