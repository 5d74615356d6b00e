"""Escalations: issues raised by rules on the one clock or by people, moved up an ordered path
of levels by the sweep until someone in leadership acknowledges them.

- `models`: paths, levels, escalations and their steps (one row per level reached);
- `services`: raise, acknowledge, assign, resolve, edit a path (all through `programs.changes`);
- `sweep`: the beat task's set-based move of what is due to the next level;
- `selectors`: the leadership queue, the portfolio, the look-ahead, who hears at a level.

The rules that raise escalations read deviations and conversations, so they live above this
app, in `comms/escalation_rules.py`, as the program health rule does.
"""
