"""Each escalation rule on the one clock, across a weekend and a site holiday: Friday 8
January 2027, the weekend, then Monday 11 January a site holiday (Europe/London, UTC in
winter). A rule raises once per open subject, and not a moment early."""

import datetime

import pytest
import time_machine

from comms import escalation_rules
from comms.escalation_rules import RULES, raise_due, reminders_due
from deviations.models import CAPA, Deviation
from governance.escalations.models import Escalation
from portal.holidays import site_holiday_add
from programs.models import Event, Milestone
from tests.comms.conversation_data import ask, shared_update
from tests.deviations.conftest import log_deviation
from tests.governance.builders import action_item
from tests.programs.builders import change_order, milestone

UTC = datetime.UTC
FRIDAY = datetime.datetime(2027, 1, 8, 10, 0, tzinfo=UTC)
HOLIDAY = datetime.date(2027, 1, 11)
RULE = {rule.name: rule for rule in RULES}
SECOND = datetime.timedelta(seconds=1)


@pytest.fixture
def friday(world):
    """The world on Friday morning, with Monday a site holiday."""
    with time_machine.travel(FRIDAY, tick=False):
        site_holiday_add(actor=world.leader, day=HOLIDAY, name="Site day")
        yield world


def _at(*args: int) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=UTC)


def _subjects(rule: str, at: datetime.datetime) -> list[str]:
    return [candidate.subject_id for candidate in RULE[rule].due(at)]


def _raises_exactly_at(rule: str, subject_pk: int, moment: datetime.datetime) -> None:
    assert str(subject_pk) not in _subjects(rule, moment - SECOND)
    assert str(subject_pk) in _subjects(rule, moment)


def test_a_deviation_notification_about_to_be_missed_escalates_two_hours_before(friday):
    deviation = log_deviation(friday, aware_at=FRIDAY - datetime.timedelta(hours=1))
    Deviation.objects.filter(pk=deviation.pk).update(sponsor_notified_at=None)

    # 72 elapsed hours: the weekend and the holiday do not stretch them.
    assert deviation.notification_due == _at(2027, 1, 11, 9)
    _raises_exactly_at("deviation-notification", deviation.pk, _at(2027, 1, 11, 7))


def test_a_late_acknowledgement_is_reminded_after_one_business_day_then_escalated(friday):
    deviation = log_deviation(friday)
    assert deviation.sponsor_notified_at == FRIDAY

    # Working days after Friday: Tuesday 12 (Monday is the holiday), then Wednesday 13.
    assert deviation not in reminders_due(_at(2027, 1, 13) - SECOND)
    assert deviation in reminders_due(_at(2027, 1, 13))
    _raises_exactly_at("deviation-acknowledgement", deviation.pk, _at(2027, 1, 14))

    raise_due(now=_at(2027, 1, 13, 9))
    raise_due(now=_at(2027, 1, 13, 9))
    assert Event.objects.filter(verb=escalation_rules.REMINDER_VERB).count() == 1
    assert not Escalation.objects.filter(rule="deviation-acknowledgement").exists()


def test_an_investigation_past_due_escalates_when_its_moment_passes(friday):
    deviation = log_deviation(friday)
    Deviation.objects.filter(pk=deviation.pk).update(investigation_due=_at(2027, 1, 11, 17))

    _raises_exactly_at("investigation-overdue", deviation.pk, _at(2027, 1, 11, 17))


def test_a_capa_past_due_escalates_once_its_due_day_has_ended(friday):
    deviation = log_deviation(friday)
    CAPA.objects.create(
        deviation=deviation,
        program=friday.program,
        number=1,
        kind="corrective",
        description="Replace the filter housing",
        owner=friday.staff,
        due_date=datetime.date(2027, 1, 8),
    )

    _raises_exactly_at("capa-overdue", deviation.pk, _at(2027, 1, 9))


def test_an_action_item_overdue_by_two_business_days_skips_the_weekend_and_holiday(friday):
    item = action_item(friday.program, friday.pm, due_in_days=0)  # due Friday
    assert item.due_date == datetime.date(2027, 1, 8)

    # Tuesday 12 and Wednesday 13 are the two working days after Friday.
    _raises_exactly_at("action-overdue", item.pk, _at(2027, 1, 14))


def test_a_milestone_escalates_once_it_slips_past_the_programs_threshold(friday):
    threshold = friday.program.slip_threshold_days
    ms = milestone(friday.program, baseline=30, forecast=30 + threshold)
    assert str(ms.pk) not in _subjects("milestone-slip", FRIDAY)

    Milestone.objects.filter(pk=ms.pk).update(
        forecast_date=ms.baseline_date + datetime.timedelta(days=threshold + 1)
    )

    assert str(ms.pk) in _subjects("milestone-slip", FRIDAY)


def test_a_sponsor_question_unanswered_for_48_hours_escalates_over_the_weekend(friday):
    question = ask(friday, shared_update(friday))

    _raises_exactly_at("question-unanswered", question.pk, _at(2027, 1, 10, 10))


def test_a_change_order_waiting_five_business_days_escalates(friday):
    co = change_order(friday.program, friday.pm)

    # Tue 12, Wed 13, Thu 14, Fri 15, Mon 18: the window closes at the end of Monday 18.
    _raises_exactly_at("change-order-waiting", co.pk, _at(2027, 1, 19))


def test_a_rule_raises_once_per_open_subject_and_again_after_resolution(friday):
    co = change_order(friday.program, friday.pm)
    later = _at(2027, 1, 20)

    assert raise_due(now=later) == 1
    assert raise_due(now=later) == 0
    escalation = Escalation.objects.get(rule="change-order-waiting")
    assert escalation.subject_id == str(co.pk)
    assert escalation.level == 1

    Escalation.objects.filter(pk=escalation.pk).update(resolved_at=later, resolution="Chased")
    assert raise_due(now=later) == 1
