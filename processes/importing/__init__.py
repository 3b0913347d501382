"""Reading published task lists (xlsx, csv, docx) into tasks, deadlines and responsible units.

Nothing in this package writes to the database: it reads a file into a ``ParsedPlan`` that the import service
(``processes.services.plan_import``) checks against the plan and applies in one transaction.
"""
