"""The results as a table for people, and the issue's targets checked against them."""


def ms(value):
    """Milliseconds with three significant digits or so."""
    if value is None:
        return "—"
    if value < 1:
        return f"{value:.3f}"
    return f"{value:.2f}" if value < 100 else f"{value:.0f}"


def table(header, rows):
    """Plain-text columns: the first left-aligned, the others right-aligned."""
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    lines = []
    for row in [header, *rows]:
        cells = [
            str(cell).ljust(widths[0]) if i == 0 else str(cell).rjust(widths[i]) for i, cell in enumerate(row)
        ]
        lines.append("  ".join(cells).rstrip())
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def level(results, server, concurrency):
    return next(row for row in results["http"][server]["levels"] if row["concurrency"] == concurrency)


def targets(results):
    """(what, measured, target, met) for each target of the issue that these results can check."""
    checks = []
    if "model" in results:
        p50 = results["model"]["litert"]["p50_ms"]
        checks.append(("model inference p50 (LiteRT)", f"{ms(p50)} ms", "≤ 0.1 ms", p50 <= 0.1))
    if "preprocessing" in results:
        p50 = results["preprocessing"]["decode_and_normalise"]["p50_ms"]
        checks.append(("preprocessing p50 (decode + normalise)", f"{ms(p50)} ms", "≤ 1 ms", p50 <= 1))
    if "numbers" in results:
        numbers = results["numbers"]
        separated = numbers["eight_digits_separated"]["p50_ms"]
        checks.append(
            ("8-digit number p50 (find_marks + model, CPU)", f"{ms(separated)} ms", "≤ 5 ms", separated <= 5)
        )
        single, before = numbers["single_digit"]["p50_ms"], numbers["single_digit_whole"]["p50_ms"]
        checks.append(
            (
                "one digit: CPU find_marks adds to a request, p50",
                f"+{ms(single - before)} ms ({ms(single)} vs {ms(before)})",
                "≤ +0.5 ms",
                single - before <= 0.5,
            )
        )
    if "server" in results:
        p50 = results["server"]["read"]["p50_ms"]
        checks.append(("POST /api/read server time p50 (CPU)", f"{ms(p50)} ms", "≤ 2 ms", p50 <= 2))
    if "http" in results:
        site = results["http"]["site"]
        p50 = level(results, "site", 1)["p50_ms"]
        checks.append(("POST /api/predict p50, 1 client", f"{ms(p50)} ms", "≤ 5 ms", p50 <= 5))
        if "seed" in results["http"]:
            ratio = (
                level(results, "site", 4)["requests_per_second"]
                / level(results, "seed", 4)["requests_per_second"]
            )
            checks.append(("throughput at 4 clients vs seed-style", f"{ratio:.1f}×", "≥ 10×", ratio >= 10))
        rss = max(site["memory_after_load"]["worker_rss_mb"])
        checks.append(("worker resident memory (largest)", f"{rss:.0f} MB", "≤ 150 MB", rss <= 150))
        first = site["first_answer_seconds"]
        checks.append(("first answer after start", f"{first:.2f} s", "≤ 3 s", first <= 3))
        errors = level(results, "site", 16)["errors"]
        checks.append(("errors at 16 clients", str(errors), "0", errors == 0))
    return checks


def latency_rows(section, names):
    """Table rows (name, p50, p99, n) for the timings in `section`, named by `names` (shown name: key)."""
    return [
        (name, ms(section[key]["p50_ms"]), ms(section[key]["p99_ms"]), section[key]["count"])
        for name, key in names.items()
    ]


def render(results):
    machine = results["machine"]
    parts = [
        f"{machine['cpus']} CPUs ({machine['cpu_model']}), load average {machine['load_average_before']} "
        f"before / {machine['load_average_after']} after; model {machine['model_version']}"
    ]
    if "model" in results:
        model = results["model"]
        rows = latency_rows(
            model,
            {
                "LiteRT (what the site runs)": "litert",
                "Keras model(x)": "keras_call",
                "Keras model.predict": "keras_predict",
            },
        )
        parts.append(
            table(("Model, one digit (batch 1)", "p50 ms", "p99 ms", "n"), rows)
            + f"\n(LiteRT and Keras agree on {model['agreement']:.1%} of these digits)"
        )
    if "preprocessing" in results:
        rows = latency_rows(
            results["preprocessing"],
            {
                "decode (base64 + PNG)": "decode",
                "normalise (find ink → 28×28)": "normalise",
                "decode + normalise": "decode_and_normalise",
            },
        )
        parts.append(table(("Preprocessing, 280×280 canvas PNG", "p50 ms", "p99 ms", "n"), rows))
    if "numbers" in results:
        rows = latency_rows(
            results["numbers"],
            {
                "one digit, 280 px canvas": "single_digit",
                "one digit read whole (before numbers)": "single_digit_whole",
                "8 digits, separated": "eight_digits_separated",
                "8 digits, touching": "eight_digits_touching",
            },
        )
        parts.append(table(("Reading marks (find_marks + model), CPU", "p50 ms", "p99 ms", "n"), rows))
    if "server" in results:
        rows = latency_rows(
            results["server"],
            {"POST /api/read (stores nothing)": "read", "POST /api/predict (stores)": "predict"},
        )
        parts.append(table(("Server time (CPU), one digit, in-process WSGI", "p50 ms", "p99 ms", "n"), rows))
    if "http" in results:
        names = {"site": "site: gunicorn digitsite.asgi", "seed": "seed-style: Flask + model.predict"}
        rows = []
        for server, name in names.items():
            for row in results["http"].get(server, {}).get("levels", []):
                rows.append(
                    (
                        name if row["concurrency"] == 1 else "",
                        row["concurrency"],
                        ms(row["p50_ms"]),
                        ms(row["p99_ms"]),
                        f"{row['requests_per_second']:.0f}",
                        row["count"],
                        row["errors"],
                        "—" if row["correct"] is None else f"{row['correct']:.0%}",
                        ms(row["server_cpu_ms_per_request"]),
                        ms(row["client_cpu_ms_per_request"]),
                    )
                )
        parts.append(
            table(
                (
                    "POST /api/predict, 2 workers",
                    "clients",
                    "p50 ms",
                    "p99 ms",
                    "req/s",
                    "answers",
                    "errors",
                    "correct",
                    "server CPU ms",
                    "client CPU ms",
                ),
                rows,
            )
            + "\n(CPU ms: CPU time per answer, of the 2 workers together and of the load generator)"
        )
        rows = []
        for server, name in names.items():
            if server in results["http"]:
                data = results["http"][server]
                rss = data["memory_after_load"]["worker_rss_mb"]
                rows.append(
                    (
                        name,
                        f"{data['first_answer_seconds']:.2f}",
                        " / ".join(f"{value:.0f}" for value in data["memory_after_warmup"]["worker_rss_mb"]),
                        " / ".join(f"{value:.0f}" for value in rss),
                    )
                )
        parts.append(table(("Footprint", "first answer s", "worker RSS MB, warm", "after load"), rows))
        site = results["http"]["site"]
        parts.append(
            f"Stored {site['stored']} predictions for {site['answered']} answers "
            f"({'every one' if site['stored'] == site['answered'] else 'MISMATCH'})."
        )
    checks = targets(results)
    if checks:
        parts.append(
            table(
                ("Target", "measured", "target", "met"),
                [(what, measured, target, "yes" if met else "NO") for what, measured, target, met in checks],
            )
        )
    return "\n\n".join(parts)
