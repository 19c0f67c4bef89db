"""The quarterly upload, file to submission, and the template towns fill:

    check_file(name, data, max_bytes=…)       # core.sheets.safety: FileRejected before parsing
    policy.upload_refusal(period, unit)        # locks, windows, the uploader's unit
    parsed = reading.read_upload(data, columns=columns_for(period.columns))
    preview = validation.validate_upload(parsed, period=…, unit=…, user=…, stage=…)
    staging.apply_job(job=job, year=period.year)   # set-based SQL on confirm
    template.build_template(period=period, unit=unit)

processing.process_job ties reading, validation and staging together for one stored upload.
"""
