"""Pages of a program's timeline and costs, one module per sub-domain: `timeline`
(workstreams, the milestone table and chart), `milestones` (one milestone, its history and its
forms), `costs` (budget, cost lines, invoices) and `change_orders`. URLs import the sub-module.
"""
