"""Build ``tests/data/redaction_corpus.jsonl`` from hand-written, inline-annotated sentences.

Run:  python tests/data/make_redaction_corpus.py

Every sentence below was written by hand in the voice of a UK medical student reflecting on a
placement.  Identifiers are marked inline as ``{{TYPE:text}}``; the script strips the markup and
records code-point offsets.  Only NHS numbers are generated (seeded), because their mod-11 check
digit has to be computed: ``{{NHS:spaced}}``, ``{{NHS:plain}}``, ``{{NHS:dashed}}`` give a valid
number in that layout, ``{{BADNHS:...}}`` a 10-digit number whose check digit is wrong (gold type
HOSPITAL_NUMBER, see the policy in ``bot/core/privacy/redaction.py``).  The checksum here is implemented
independently of the module under test.

Gold-span conventions (the evaluation counts a gold span as found when a predicted span of the same
type covers >= 50% of its characters):

* NAME: the name tokens only, without the title ("Dr {{Patel}}") or a possessive 's; first name and
  surname together form one span.
* DATE: the date expression, with an attached weekday ("Monday 4th"), without "on the".
* AGE: the number only ("{{45}}-year-old", "{{58}} yo", "{{35}}F"), without "aged" / "she was", as in every later
  set and the held-out sets (round 9 redrew the 32 spans that took the unit too; until then "45-year-old").
* HOSPITAL_NUMBER: the identifier token only, without "MRN".
* Decades ("in her 80s"), bare weekdays, bare months, years, durations and times are NOT identifiers.

``split``: the first two rounds (``DEV`` and ``HELDOUT``, written before and just after the first rules)
have long been tuned against and are all "dev" now.  The second and third rounds (``ROUND2``, ``ROUND3``;
issue 10) each hold out a seeded random 30 % as "val", to check that a change generalises before tuning
further.  Round 3 at first look, before any change to the rules: names 40/40, structured 63/68 (0.926),
words kept 0.990; its misses (a Welsh house name with an apostrophe, "Flat 2, Block C", three hospitals
known by a short name) were then fixed in general form.  The val split has not been tuned against.  Lines
may hold ``<ZW>`` (zero-width space), ``<SHY>`` (soft hyphen), ``<WJ>`` (word joiner) and Cyrillic
look-alike letters; such rows are marked ``"trick": true``.  ``{{NHSZW:spaced}}`` is a valid NHS number
with zero-width spaces between its groups, ``{{LOC:...}}`` a place of care (LOCATION).
"""

# ruff: noqa: E501  (the corpus sentences are data: one message a line, however long)
from __future__ import annotations

import json
import random
import re
from pathlib import Path

TYPES = {
    "NAME": "NAME",
    "NHS": "NHS_NUMBER",
    "BADNHS": "HOSPITAL_NUMBER",
    "HOSP": "HOSPITAL_NUMBER",
    "DATE": "DATE",
    "PHONE": "PHONE",
    "EMAIL": "EMAIL",
    "PC": "POSTCODE",
    "AGE": "AGE",
    "ADDR": "ADDRESS",
    "LOC": "LOCATION",
    "NHSZW": "NHS_NUMBER",
}
# Invisible characters written visibly in the sentences below (tricks that defeat naive matching).
INVISIBLE = {"<ZW>": "\u200b", "<SHY>": "\u00ad", "<WJ>": "\u2060"}

MARK = re.compile(r"\{\{([A-Z]+):(.*?)\}\}")


def _nhs_digits(rng: random.Random, valid: bool) -> str:
    while True:
        first = [rng.randint(4, 7)] + [rng.randint(0, 9) for _ in range(8)]
        total = sum(d * w for d, w in zip(first, range(10, 1, -1), strict=True))
        check = 11 - total % 11
        if check == 11:
            check = 0
        if check == 10:
            continue
        if not valid:
            check = (check + rng.randint(1, 9)) % 10
        return "".join(map(str, first)) + str(check)


def _layout(digits: str, layout: str) -> str:
    if layout == "plain":
        return digits
    sep = "-" if layout == "dashed" else " "
    return f"{digits[:3]}{sep}{digits[3:6]}{sep}{digits[6:]}"


def parse(marked: str, rng: random.Random) -> dict[str, object]:
    for visible, char in INVISIBLE.items():
        marked = marked.replace(visible, char)
    out: list[str] = []
    spans: list[dict[str, object]] = []
    pos = 0
    length = 0
    for m in MARK.finditer(marked):
        plain = marked[pos : m.start()]
        out.append(plain)
        length += len(plain)
        kind, value = m.group(1), m.group(2)
        if kind in ("NHS", "BADNHS", "NHSZW"):
            value = _layout(_nhs_digits(rng, valid=kind != "BADNHS"), value)
            if kind == "NHSZW":  # a zero-width space between each group or digit: the export must not hold it
                value = value.replace(" ", "\u200b") if " " in value else "\u200b".join(value)
        spans.append({"start": length, "end": length + len(value), "type": TYPES[kind]})
        out.append(value)
        length += len(value)
        pos = m.end()
    out.append(marked[pos:])
    text = "".join(out)
    assert "{{" not in text and "}}" not in text, marked
    row: dict[str, object] = {"text": text, "spans": spans}
    if any(c in text for c in INVISIBLE.values()) or any("\u0370" <= c <= "\u04ff" for c in text):
        row["trick"] = True
    return row


DEV = r"""
I met {{NAME:Sarah}} on my first morning in the GP surgery and she reminded me of my own gran.
Dr {{NAME:Patel}} asked me to take a history from the lady in bay 3 while he finished the ward round.
My consultant, Dr {{NAME:Okonkwo}}, said afterwards that silence can be therapeutic.
The patient, Mrs {{NAME:Hughes}}, kept apologising for "wasting everyone's time".
Her NHS number, {{NHS:spaced}}, was written on a post-it stuck to the drug chart, which bothered me.
I noticed the discharge letter had the wrong NHS number ({{NHS:plain}}) and flagged it to the F1.
We were told to check the NHS no. {{NHS:dashed}} against the wristband before every blood test.
The referral form listed {{NHS:spaced}} as his number but the surname was spelt differently.
A {{AGE:45}}-year-old man came into A&E with chest pain and his wife, {{NAME:Margaret}}, would not leave his side.
She was {{AGE:19}} and had just started university when the voices began.
He was aged {{AGE:72}} and had lived alone since his wife died.
The GP saw a {{AGE:3}}-year-old with a barking cough, and the mum was clearly exhausted.
Patient is a {{AGE:58}} yo builder with back pain that wakes him at night.
I was anxious about the Mental Health Act assessment because I had never seen a Section 2 before.
We discussed the case at the Balint group and I felt less alone afterwards.
May I say that this was the hardest week of my placement so far.
Will power alone is not enough to stop drinking, the consultant explained gently.
Grace under pressure is something I saw in the nurses that night.
I spent 3 weeks on {{LOC:Ward 7}} and bed 12 was always the one that needed the most time.
The clinic started at 09:00 and we did not stop until well after six.
As a 2nd year I had never broken bad news, so I mostly watched.
The F1 and the ST3 were both off sick, so the registrar covered everything.
I gave 10mg of morphine under supervision and felt the weight of it.
The NHS is stretched, and you can feel it on every ward round.
A&E was heaving and the GP liaison nurse kept us going with biscuits.
She rang from {{PHONE:07700 900123}} to ask whether her results were back.
His daughter left her mobile, {{PHONE:07700 900456}}, in case anything changed overnight.
I had to call the surgery on {{PHONE:020 7946 0018}} to get the medication list.
The community team number is {{PHONE:0161 496 0021}} but it rings out after five.
The leaflet gave the hospice number as {{PHONE:(01632) 960 001}} and I wondered who answers at night.
Her son called from abroad on {{PHONE:+44 7700 900789}} during the ward round.
Please email me at {{EMAIL:amelia.r.hughes@nhs.net}} if you want to talk about the case.
I forwarded the reflection to my tutor at {{EMAIL:j.okafor@bristol.ac.uk}} as we had agreed.
The patient kept writing to {{EMAIL:complaints@exampletrust.nhs.uk}} about his care.
He gave his address as {{ADDR:12 Acacia Road}}, {{PC:SW1A 1AA}}, but the letters kept bouncing.
She lives near {{PC:M1 1AE}} and takes two buses to get to clinic.
The postcode on the referral, {{PC:EH8 9YL}}, was for a student hall, not her family home.
She was born on {{DATE:12/03/1961}} and told me she had never once been in hospital.
Her DOB is {{DATE:03-07-88}} which makes her the same age as my sister.
The appointment was booked for {{DATE:3 March 2024}} but she missed it.
We saw him again on {{DATE:March 3rd}} and he had lost more weight.
It was the {{DATE:3rd of March}} and the hospital was already on black alert.
On {{DATE:Monday 4th}} the team met to talk about what had happened.
I last saw her on the {{DATE:14th}}, just before she was moved to the hospice.
The scan from {{DATE:2024-03-12}} showed that the tumour had grown.
His MRN {{HOSP:1234567}} was handwritten on the notes in three different places.
The hospital number {{HOSP:RX1234567}} did not match the name on the wristband.
I wrote {{HOSP:K1234567}} on the sample bottle and then realised it was the wrong patient.
Her unit number is {{HOSP:M0458812}} according to the handover sheet.
I was shadowing Sister {{NAME:Agnes Byrne}} on the stroke unit when the call came.
Professor {{NAME:Ahmed}} asked us what we would have done differently.
There was a patient called {{NAME:Sarah}} who reminded me of my best friend from school.
The young man, named {{NAME:John Smith}} on the board, turned out to be someone else entirely.
Her son {{NAME:Tom}} sat in the corner and did not say a word for an hour.
My consultant Dr {{NAME:Patel}} has a way of making patients feel heard.
Mrs {{NAME:Jones}}' daughter {{NAME:Emily}} was furious that nobody had phoned her.
I'll call her {{NAME:Anna}}, because she would hate to be recognised.
Patient X, {{NAME:Fred}}, had been on the ward for six weeks waiting for a care package.
{{NAME:Will}} was the name of the porter who always knew which lift worked.
The nurse in charge, {{NAME:Grace}}, told me that I could go and sit with him.
{{NAME:Mark}} said he had not slept properly since the accident.
I noticed that {{LOC:Rose Ward}} had a very different feel from the other elderly care wards.
Hope is not a treatment plan, my supervisor said, but it matters.
I felt out of my depth, and then I felt guilty for feeling that way.
Joy was not a word I expected to use about a palliative care placement.
Bill payments had piled up while he was in hospital, and that was what kept him awake.
Our tutor Dr {{NAME:Lindqvist}} encouraged us to bring cases that still bothered us.
The patient's wife {{NAME:Priya}} translated for him, which made me uncomfortable.
{{NAME:Mohammed}} had been a taxi driver for twenty years before the stroke.
I was told that {{NAME:Aoife}} had been admitted four times this year with overdoses.
The lady in bed 4, Mrs {{NAME:Kowalski}}, only wanted to talk about her garden.
Mr {{NAME:O'Brien}} was adamant that he would go home, whatever the OT said.
His partner, {{NAME:Jamal}}, asked me directly whether he was dying.
I found it hard when {{NAME:Chloe}}, who is my age, told me she had stopped eating.
The registrar, Dr {{NAME:Nwosu}}, took me aside and asked how I was coping.
A {{AGE:67}}-year-old woman presented with confusion and a UTI, which turned out to be sepsis.
Her {{AGE:6}}-week-old baby had not fed properly for two days.
The patient was a {{AGE:34}} year old teacher who had been signed off with stress.
He is {{AGE:88}} and still insists on doing his own shopping.
A {{AGE:16}} year old was brought in by police under Section 136.
She was in her 80s and had outlived all of her friends, she said.
He was only {{AGE:23}} when he was first sectioned, his mum told me.
The patient, age {{AGE:41}}, had been waiting for a psychiatric bed for three days.
I saw a {{AGE:92}}-year-old man who was more cheerful than anyone on the team.
The postcode {{PC:B15 2TT}} came up again and again in the safeguarding referrals.
Her old address was {{ADDR:4 Mill Lane}}, {{PC:LS1 4AP}}, and she still had the keys.
The family moved to {{PC:CF10 3AT}} last year and had not registered with a GP.
My placement practice is in {{PC:G12 8QQ}}, a long way from where I grew up.
He said he was staying with friends near {{PC:BT9 7AB}} but nobody could confirm it.
The ambulance was sent to {{PC:NE1 4LP}} by mistake.
I checked the transport form and the pick-up postcode was {{PC:L69 3BX}}.
It was {{DATE:Tuesday 12th March}} and I had been on call for nine hours.
We reviewed her again on {{DATE:14.02.2024}} and she seemed brighter.
The operation was on {{DATE:1st June 2023}} and she has had pain ever since.
He had been seen in clinic on {{DATE:21/11/23}} and discharged.
His last admission was {{DATE:October 2022}}, according to the notes.
Email the placement lead at {{EMAIL:gp.placements@manchester.ac.uk}} if you need to swap sessions.
She showed me an email from {{EMAIL:tom_b1992@hotmail.co.uk}} that she found threatening.
The contact address was {{EMAIL:ellie.m@gmail.com}}, which the mum wrote on a scrap of paper.
Her carer's number is {{PHONE:07700 900 321}} but she rarely picks up.
The ward phone, {{PHONE:0113 496 0555}}, rang constantly during visiting.
Call the crisis line on {{PHONE:0800 123 4567}} if things get worse, the CPN said.
He scrawled {{PHONE:07700900612}} on my hand and asked me to ring his brother.
The pharmacy number was {{PHONE:0117 496 0733}} but no one answered.
The patient ID {{HOSP:AB123456}} was repeated at the top of every page.
Hospital no. {{HOSP:5501234}} belonged to a completely different patient.
I wrote down the number {{BADNHS:spaced}} thinking it was her NHS number, but it did not check out.
There were 10 patients on the list and only 2 of us to see them.
I was on the 3rd floor for most of the shift, far from the action.
During the 4th week I started to feel like part of the team.
She took 2 paracetamol and 400mg of ibuprofen before coming in.
We spent 45 minutes talking and I never once looked at the computer.
The SHO asked me to do the ECG in Resus at 14:30.
Blood pressure was 180/110 and the GP was worried about a stroke.
The Mental Health Act was explained to him three times that morning.
On ward round the consultant barely looked at the patient.
I had my OSCE in April and I was more nervous than I expected.
In March the ward closed to admissions because of norovirus.
Mark the chart clearly, the nurse said, because nobody can read your writing.
Will you be joining us for the teaching session this afternoon?
Grace periods for prescriptions do not exist, the pharmacist reminded me.
My supervisor, who is a GP partner, asked me to reflect on boundaries.
The Section 2 lasted 28 days, and by the end he was calmer.
I found the CAMHS waiting list shocking; some children wait over a year.
The patient was in his sixties and worked as a plumber.
A woman in her 30s came in with pelvic pain and was terrified of being judged.
I saw Dr {{NAME:Fitzgerald}} cry in the corridor after the cardiac arrest.
His wife, {{NAME:Margaret}}, brought in his own pyjamas because he hated the hospital gowns.
There was a patient named {{NAME:Daniel}} who had been homeless for ten years.
I'll refer to him as {{NAME:Peter}} in this reflection.
Her granddaughter {{NAME:Zainab}} was the only one who could make her smile.
Nurse {{NAME:Adeyemi}} showed me how to sit with a dying patient without filling the silence.
{{NAME:Siobhan}} had been told her cancer had spread, and she asked me whether it was her fault.
The receptionist, {{NAME:Karen}}, knew every patient by name.
I remember {{NAME:Olivia}} because she was the first patient to thank me.
Mr {{NAME:Singh}} refused the blood transfusion, and the team respected it.
We discussed Mrs {{NAME:Okafor}} at the MDT and decided to stop the antibiotics.
His brother {{NAME:Kwame}} flew over from Ghana to be with him.
The teenager, who I will call {{NAME:Lily}}, wanted to know if anything she said would be shared.
Dr {{NAME:Ruth Goldberg}}, the palliative consultant, taught me more in a day than I learnt in a term.
My clinical supervisor, Miss {{NAME:Chaudhry}}, is a surgeon who actually talks to patients.
I had spoken to {{NAME:Ben}} three times before I realised he could not read.
{{NAME:Fatima}}'s husband answered every question on her behalf.
The man in bay 2, Mr {{NAME:Dimitriou}}, asked me to pray with him.
{{NAME:Harpreet}} is a nurse who never seems to run out of patience.
His mother {{NAME:Bronwen}} had been his carer for thirty years.
His DOB was {{DATE:01/02/1950}} and his wife told me he had never been ill a day in his life.
Her birthday is {{DATE:4th July}} and she was hoping to be home for it.
The inquest is set for {{DATE:Friday 17th May}} and the team are dreading it.
The follow-up is on the {{DATE:2nd of April}}, three weeks after the surgery.
He was admitted on {{DATE:9 Sept 2023}}, the same day I started on the ward.
She first presented on {{DATE:30/06/2022}} with a breast lump.
We have teaching on the 2nd year curriculum every Thursday.
She phoned on {{DATE:Wednesday the 6th}} to say she had run out of her tablets.
The date on the form was {{DATE:11-11-2023}}, the day her husband died.
Her youngest, aged {{AGE:7}}, had been the one to call the ambulance.
A {{AGE:seventy-two}}-year-old man was waiting on a trolley for eleven hours.
He's {{AGE:32}} and already has two heart attacks behind him.
I met a {{AGE:15}} year old girl who had been self-harming since primary school.
The patient was {{AGE:101}} and still sharp as a tack.
Her baby, only {{AGE:3}} months old, was admitted with bronchiolitis.
He turned {{AGE:18}} on the ward, and the nurses brought him a cake.
She texted me from {{PHONE:07700 900 987}} after discharge, which crossed a line.
The daughter's landline is {{PHONE:0121 496 0412}} and she prefers calls after six.
You can reach the ward clerk on {{PHONE:029 2018 0455}} before midday.
The interpreter service is on {{PHONE:0131 496 0009}} and you need to book 48 hours ahead.
He gave a Belfast number, {{PHONE:028 9649 6123}}, which went straight to voicemail.
Her husband's work number was {{PHONE:+44 (0)20 7946 0958}} and he did not pick up.
The letter from {{EMAIL:dr.s.khan@nhs.net}} was copied to three other teams.
I received a message from {{EMAIL:mohammed.a.khan@student.bham.ac.uk}} asking about the case.
The form asked us to contact {{EMAIL:safeguarding.adults@nhs.net}} for any concern.
She used the account {{EMAIL:rosie_87@yahoo.co.uk}} to message the practice.
Send the audit to {{EMAIL:audit-team@examplehospital.nhs.uk}} by Friday.
The address on the form was {{ADDR:Flat 3, 27 Victoria Street}}, {{PC:OX3 9DU}}.
The GP practice covers {{PC:CB2 0QQ}} and the surrounding villages.
She moved from {{PC:BS2 8HW}} to be nearer her daughter.
The referral had the postcode {{PC:S10 2TN}} but the patient insisted she lived in Rotherham.
The hostel at {{PC:NG7 2UH}} was where he had been staying.
I noticed the postcode {{PC:LE1 7RH}} was shared by several patients from the same care home.
The student health centre at {{PC:PL6 8DH}} had been trying to reach her for weeks.
The {{HOSP:RX4451209}} on the label did not match the hospital number in the notes.
The wristband said MRN: {{HOSP:8834512}}, but the drug chart said something else.
Under PAS no. {{HOSP:A0098712}} there were two different dates of birth.
I entered the patient's hospital number, {{HOSP:H2233445}}, wrongly on the request form.
The NHS number on the request was {{NHS:plain}} and the name was misspelt.
I double checked his NHS number {{NHS:spaced}} because there were two men with the same name.
The transfer letter gave {{NHS:dashed}} as the NHS number.
He recited his NHS number, {{NHS:spaced}}, from memory, which impressed me.
There was a sticker with {{NHS:plain}} on every page of her notes.
I thought about the patient long after I had gone home that evening.
I felt that I had failed her by not speaking up on the ward round.
It struck me how much of medicine is waiting.
The F2 told me not to take things personally.
We had a debrief after the arrest, and people were honest about how they felt.
The Balint group helped me to see the consultant's side as well.
There was a lot of laughter in the GP coffee room, which surprised me.
I wonder whether I would have reacted differently if I were less tired.
The 15-minute appointment felt impossibly short for what she needed.
After 6 hours in the department, he finally got a bed.
Our teaching was cancelled because of the strike on 2 days that week.
My first day on the wards was terrifying and exhilarating in equal measure.
I asked the CT1 whether it is ever okay to lie to a patient.
The ST6 was kind but rushed, and I did not want to bother her.
I shadowed the crisis team on a Thursday night in Manchester.
She was started on 20mg citalopram and reviewed in 2 weeks.
The patient scored 14/15 on the GCS and was talking but confused.
We use SBAR when handing over, but I still get flustered.
The Duty of Candour meeting was the most honest thing I saw all year.
{{NAME:Will}}'s mum came to every appointment with a folder of notes.
Mrs {{NAME:Thompson}} asked me if I was a real doctor yet, and laughed when I said no.
The patient kept calling me Doctor even though I had explained I was a student.
I explained to Mr {{NAME:Abdullah}} that the consultant would come back later.
When {{NAME:Jack}} described the crash, his hands were shaking.
Our GP tutor, Dr {{NAME:Morgan-Evans}}, runs the practice like a family.
The woman, who I'll call {{NAME:Beth}}, had three children under five.
I spoke to the patient's wife, {{NAME:Deborah}}, in the relatives' room.
I keep thinking about {{NAME:Dylan}}, the {{AGE:17}}-year-old on the adolescent unit.
She was brought in by her neighbour {{NAME:Pat}}, who had a key.
The consultant, Mr {{NAME:Achebe}}, operated on him the same night.
{{NAME:Eilidh}} had moved down from Inverness for the job and had no one here.
I sat with {{NAME:Rhys}} while the registrar went to find his parents.
My friend {{NAME:Wei}} was on the same firm and we debriefed on the bus.
{{NAME:Nadia}} told me she had not left the house in six months.
The midwife, {{NAME:Joanne}}, let me hold the baby while she wrote up her notes.
I remember Mr {{NAME:Evans}} mostly for his terrible jokes.
Her name is {{NAME:Gemma}} and she has been in and out of A&E since she was {{AGE:14}}.
He was {{AGE:52}}, a father of three, and had been sleeping in his car.
The baby was born on {{DATE:5th November}} and they called her after the fireworks.
I started on {{DATE:Monday 8th January}} with no idea where the ward was.
He died on {{DATE:23 Dec 2023}}, two days before Christmas.
We had the debrief on {{DATE:Thursday 11th}} and not everyone came.
The letter was dated {{DATE:2023-11-30}} but arrived after the appointment.
Her birthday is the {{DATE:19th of August}}, she told me, as if I should remember.
Before the home visit the GP made me read out the NHS number ({{NHS:spaced}}) to be sure we had the right record.
The lab rejected the sample because the number {{NHS:plain}} on the form had a typo in the surname field.
Patient details: {{NHS:dashed}}, lives alone, no known allergies.
It felt odd that {{NHS:spaced}} was the first thing I learnt about him, before his name.
The safeguarding form had a box for the NHS number and I copied in {{NHS:plain}} with shaking hands.
The screen at reception flashed up {{NHS:spaced}} next to the wrong photograph.
NHS No: {{NHS:plain}} was printed in bold across the top of the prescription.
I had to search the system using {{NHS:dashed}} because her name was spelt three ways.
The handover sheet, with {{NHS:spaced}} and his diagnosis on it, was left on the printer.
When the wristband was missing, the nurse read me {{NHS:plain}} from the drug chart instead.
The old paper notes quoted {{NHS:spaced}}, which the PAS system could not find.
The psychiatrist asked me to look up {{NHS:dashed}} on the summary care record.
Her number, {{NHS:plain}}, appeared on two sets of notes belonging to different women.
I typed {{NHS:spaced}} into the search bar and her whole life came up on the screen.
The pharmacy called about the script for {{NHS:spaced}} because the dose looked wrong.
The transfer form quoted {{BADNHS:plain}} as his NHS number, but the system rejected it.
The number {{BADNHS:dashed}} was on the old referral and no record matched it.
His hospital number is {{HOSP:D5521093}} but the GP letter used a different one.
She read out her MRN, {{HOSP:40031298}}, before I could ask.
The bloods came back under unit no. {{HOSP:J7786421}}, which belonged to a man on another ward.
I was told to quote the patient ID {{HOSP:NW4420917}} whenever I rang the lab.
The request had hosp no {{HOSP:0098342}} and nothing else, not even a name.
The clinic list had {{HOSP:RM2290451}} next to the name of a patient who had died in January.
Her MRN is {{HOSP:M3300187}}, and I will never forget it because I checked it so often.
I forwarded the photos to {{EMAIL:medphoto@exampletrust.nhs.uk}} with his consent.
The father kept emailing {{EMAIL:davidwhite64@btinternet.com}} updates to the whole family.
My supervisor asked me to send my log to {{EMAIL:h.murray@ed.ac.uk}} by the end of the week.
The patient gave me {{EMAIL:kasia.nowak@outlook.com}} so I could send her the leaflet.
I found the reply from {{EMAIL:ST3.rota@nhs.net}} buried in my junk folder.
The mum asked us to copy letters to {{EMAIL:sam.and.jo.taylor@gmail.com}} as well.
Concerns can be raised with {{EMAIL:freedomtospeakup@exampletrust.nhs.uk}} in confidence.
The consultant's secretary, {{EMAIL:linda.price3@nhs.net}}, chased the MRI for us.
Her partner wrote to {{EMAIL:ward7.sister@nhs.net}} to complain about the food.
The teenager's email, {{EMAIL:xxdarkangelxx@hotmail.com}}, was on the CAMHS referral.
I e-mailed the chaplain at {{EMAIL:chaplaincy@examplehospital.nhs.uk}} as the patient asked.
The email from {{EMAIL:r.oyelaran@qmul.ac.uk}} confirmed my placement had changed.
The GP wrote his mobile as {{PHONE:07700 900 112}} on the referral.
She asked me to phone her sister on {{PHONE:+447700900334}} because she had no credit.
The district nurses are on {{PHONE:01632 960 482}} for anything after hours.
The out-of-hours number, {{PHONE:0300 123 7788}}, kept people on hold for an hour.
The husband's number is {{PHONE:07700-900-271}} and he wants a call every evening.
The nursing home rang from {{PHONE:01632 960729}} to say she had fallen again.
We were given the bleep for the reg and the landline {{PHONE:020 7946 0321}} for the coordinator.
Her son in Leeds can be reached on {{PHONE:0113 496 0987}} most afternoons.
He wrote down {{PHONE:0161 496 0333}} as his next of kin, but it was a taxi firm.
The mother's mobile, {{PHONE:07700 900 654}}, was on the whiteboard for everyone to see.
The address {{ADDR:33 Elm Grove}}, {{PC:N19 5NF}}, came up on the police log.
He was found outside {{ADDR:8 Park Terrace}}, {{PC:E1 6AN}}, in the early hours.
Her flat is near {{PC:DD1 9SY}}, on the fourth floor with no lift.
The referral gave {{PC:AB25 2ZN}} but she had moved to a caravan months ago.
The care agency covers {{PC:SO16 6YD}} but not the village where he lives.
They moved into {{ADDR:14 Queens Avenue}} in {{PC:YO31 8HE}} only a month before the fire.
The practice boundary stops at {{PC:W1G 9PF}} so we could not register him.
She gave the postcode {{PC:ec1a 7be}} in lower case on the online form.
The patient said she was living at {{PC:LS2 9JT}} with her boyfriend.
The scan was booked for {{DATE:Tuesday 19th}} but nobody told him.
He was admitted on {{DATE:26/04/2024}} with his third DKA this year.
The last time she took her lithium was {{DATE:August 2023}}, she admitted.
Her son's birthday is on the {{DATE:30th}}, and she was desperate to be home by then.
We met the family on {{DATE:Sat 2nd March}} to talk about stopping treatment.
The incident happened on {{DATE:19.01.24}}, on a night shift.
She was born on {{DATE:14 February 1972}} and laughed that everyone forgets her birthday.
He came back on {{DATE:December 12th}} with the same pain.
The ward closed on {{DATE:1 Jan}} because of flu.
Her discharge summary was dated {{DATE:2024/02/28}}, two weeks after she left.
His daughter, {{NAME:Hannah Clarke}}, is a nurse herself, which made the conversation harder.
We were joined by Dr {{NAME:Imran Qureshi}}'s F1, who had met the patient the night before.
The patient introduced himself as {{NAME:Gareth}} and shook everyone's hand.
Her friend {{NAME:Ngozi}} had driven her in and was waiting in the car park.
{{NAME:Ewan}} told me that his dad had died on the same ward twenty years ago.
The lady, who goes by {{NAME:Peggy}}, insisted on calling every doctor "young man".
I was paired with another student, {{NAME:Tomasz}}, for the home visits.
My GP supervisor Dr {{NAME:Helen Marsh}} asked me to lead the consultation.
The man's carer, {{NAME:Sunita}}, said he had been more confused for a week.
The ward sister, Sister {{NAME:McAllister}}, ran the handover like clockwork.
A young mum called {{NAME:Jade}} brought her toddler in with a rash.
I asked {{NAME:Arjun}} what mattered most to him, and he said his allotment.
Mr and Mrs {{NAME:Pritchard}} had been married for sixty years and held hands the whole time.
I overheard {{NAME:Callum}} telling the nurse that he was scared of needles.
The anaesthetist, Dr {{NAME:Ferreira}}, let me hold the mask.
Her husband {{NAME:Bill}} sat beside her bed every day from nine until eight.
I'll call him Mr {{NAME:A}} to protect his identity.
{{NAME:Yusuf}} is only a year older than my brother.
The health visitor, {{NAME:Lorraine}}, had known the family for years.
The psychologist, Dr {{NAME:Van der Berg}}, challenged my assumptions kindly.
Her eldest, {{NAME:Marcus}}, was the one who had found her.
I could not stop thinking about what {{NAME:Niamh}} had said about her father.
{{NAME:Rose}}'s son visits every Sunday and she talks about nothing else all week.
The boy, {{NAME:Kai}}, wanted to know if the cannula would hurt.
Professor {{NAME:Hamilton}} told us that the best doctors never stop being curious.
He asked for his daughter {{NAME:May}} to be called before anything was decided.
His wife {{NAME:Joy}} was with him when he was told.
A {{AGE:fifty}}-year-old lorry driver came in with chest pain he had ignored for a week.
The woman, {{AGE:38}}, had been trying to get a diagnosis for years.
The child, aged {{AGE:4}}, was brought in with a fever and a purpuric rash.
A {{AGE:79}} yr old with dementia was sent in from a care home at 3am.
The girl was just {{AGE:12}} and had already been excluded from two schools.
I saw an {{AGE:84}}-year-old with a fractured neck of femur who only wanted her cat.
I felt totally useless in my first week on the surgical firm.
The consultant told me that May is always the busiest month for hay fever.
Some patients may not want students present, and that is their right.
I will remember this placement for a long time.
She had a faith in the NHS that I found moving.
He had no hope of getting home without a package of care.
It was a joy to see him walk again after the stroke.
The cost of the parking bill upset the relatives more than the diagnosis.
I tried to mark the moment when the conversation changed.
We all felt the grace of the chaplain when he came to sit with the family.
A rose had been left on the bed after she died.
The nurse told me to be patient with myself.
I saw the Crisis Resolution team twice during my psychiatry block.
The doctor on call was an FY1 in her first week.
The patient was detained under the Mental Health Act and moved to a PICU.
There were 24 beds on the ward and 4 side rooms.
He needed 2 units of blood and 1 litre of fluid before theatre.
The CT scan at 03:15 showed a bleed.
Her HbA1c was 86 and she had stopped taking her metformin.
I went through the BNF with the pharmacist for an hour.
We had a session on the Equality Act and reasonable adjustments.
The GP had 12 minutes per patient and was 40 minutes behind.
She asked whether I was an F1 or an FY2, and I had to explain again.
The ST4 let me do the lumbar puncture under supervision.
On Monday I felt ready, but by Wednesday I was exhausted.
Every Friday the team had cake and talked about the week.
I was taught the ABCDE approach on my first day in Resus.
He worked for Royal Mail for forty years and was proud of it.
The {{LOC:Queen Elizabeth Hospital}} was my first placement.
I spent a week at {{LOC:St Thomas'}} and loved the pace of it.
The {{LOC:John Radcliffe}} was bigger than any hospital I had been in.
Christmas on the ward is strange: cheerful and sad at once.
During Ramadan the patient wanted his insulin timings changed.
She spoke Polish and only a little English.
The Section 136 suite was full, so he waited in A&E with the police.
The GP spent the whole appointment on the phone to the Home Office.
The 111 service had told her to come straight in.
I think the 5th patient of the day is always the one who gets the least of me.
In April we move to the surgical block, which I am dreading.
The woman was in her late seventies and fiercely independent.
The patient, a retired headteacher in his 70s, was furious about the wait.
The community nurse rang to check the NHS number {{NHS:spaced}} before she would discuss anything.
On the blood form, under NHS number, someone had written {{NHS:plain}} in green ink.
His summary care record ({{NHS:dashed}}) showed four A&E attendances this month.
The letter from the memory clinic had {{NHS:spaced}} in the header and her maiden name below it.
"""

HELDOUT = r"""
I was in my 4th year when I first saw someone die, and I still think about it.
The woman in bay 6, Mrs. {{NAME:Adebayo}}, asked me to read her post to her.
His NHS number is {{NHS:spaced}} and he wanted to know why we kept asking.
Ring me on {{PHONE:07700 900 555}} if there's any change, his wife said.
The practice manager's address is {{EMAIL:pm.riverside@nhs.net}} for any complaints.
They live at {{PC:TR1 3LJ}}, right at the end of the line.
We saw him on {{DATE:7th February}} and again a week later.
A {{AGE:29}}-year-old mum of two was admitted after an overdose.
{{NAME:Tom}}, {{NAME:Priya}} and I were sent to clerk the new admissions together.
Dr. {{NAME:Wong}} let me present the case at the morning meeting.
The patient (let's call her {{NAME:Maya}}) had been discharged three times in a month.
i think {{NAME:jess}} was the only one who noticed she had stopped eating.
My nan always says the NHS saved her life, and I thought of her all week.
The mark scheme for the OSCE never rewards sitting in silence.
It was a grace and favour arrangement: the ward let the husband stay overnight.
Our May exams were looming and I felt guilty for thinking about them at a bedside.
Sister's office was the only quiet room on the ward.
The consultant said that hope is a dose you have to titrate.
Will and testament questions came up, and I had no idea what to say.
The MRN#{{HOSP:4471203}} was on a sticker that had peeled off.
Tel: {{PHONE:0161 496 0777}} was printed under the family's name on the board.
His mob: {{PHONE:07700-900-123}}, written on the back of his hand in biro.
She called from {{PHONE:+44 (0) 7700 900 111}} while we were on the ward round.
Her brother abroad gave {{PHONE:0044 7700 900222}} as a contact.
The referral letter was cc'd to {{EMAIL:J.Smith@NHS.NET}} and to the GP.
Her postcode, typed as {{PC:sw1a1aa}}, did not match any address.
She was seen on {{DATE:1/4/23}} and never came back.
I met her on {{DATE:Feb 3rd}}, the day after my birthday.
The clinic on {{DATE:Thurs 7th}} was cancelled at the last minute.
His surgery was on {{DATE:Wed 12 June}}, and he was home by the Friday.
The last entry was {{DATE:21st Dec 2023}}, then nothing.
Her repeat bloods were due on {{DATE:4.3.24}} but the request was never made.
A woman of {{AGE:64}} came in with her third fall this month.
He is an {{AGE:81}} year-old retired miner who still walks his dog every day.
The patient, aged just {{AGE:19}}, had been living in a tent.
On the handover sheet: age: {{AGE:33}}, PMH of asthma.
{{AGE:35}}F with abdominal pain, query ectopic, the F1 said in handover.
A {{AGE:45}} year old male was brought in by ambulance after a fall from scaffolding.
At {{AGE:17}} she was already caring for her mum full-time.
He moved into {{ADDR:44b Harcourt Road}} after the divorce.
The ambulance went to {{ADDR:Flat 12, 9 Rowan Court}} instead of the hostel.
The nurse, {{NAME:Bukola}}, sang to the patient while she changed the dressing.
I caught up with {{NAME:Harriet}} and {{NAME:Josh}}, the other students, over lunch.
His GP, Dr {{NAME:Anand Shah}}, had referred him twice before.
The chaplain, Father {{NAME:Declan}}, sat with the family through the night.
Mr {{NAME:Kowalczyk}}'s daughter asked me if her dad was in pain.
We call him {{NAME:Big Dave}} on the ward, and he loves it.
Their youngest, {{NAME:Amara}}, had been born at 26 weeks.
A nurse called {{NAME:Tendai}} showed me how to use the hoist.
{{NAME:Georgina}} is a second-year student who shadowed with me in GP.
The patient's husband, {{NAME:Stelios}}, barely spoke any English.
Unit No {{HOSP:L2093811}} appeared on two different wristbands.
Her hospital number ({{HOSP:RW6 0045671}}) was on the stickers.
Patient ID: {{HOSP:AG93820147}} was the only thing on the request form.
Her NHS number was {{NHS:dashed}} on one letter and different on another.
I checked {{NHS:plain}} on the spine and found a second record.
Before I rang, I wrote his NHS no on my hand: {{NHS:spaced}}.
The daughter's e-mail is {{EMAIL:zoe.h.baker@icloud.com}} and she wants updates.
We messaged {{EMAIL:camhs.referrals@examplefoundation.nhs.uk}} about the waiting time.
The school nurse's number, {{PHONE:01632 960 214}}, was on the letter.
Her landline is {{PHONE:020 7946 0744}} but she does not answer withheld numbers.
The care home is at {{PC:WV3 0QP}}, a short drive from the hospital.
She gave her previous address as {{PC:KY16 9TF}} in Fife.
The family are in {{PC:BN1 6AG}} and want her closer to them.
The letter dated {{DATE:15 August 2023}} was never sent.
It happened on {{DATE:Saturday the 9th}}, during the night shift.
He was admitted {{DATE:27/12/2023}} with a chest infection.
I was told the 3rd floor lift was broken, so we carried the notes up.
The 1st time I took blood I felt faint, and the HCA made me sit down.
ST3 {{NAME:Ruth}} took me through the death certificate line by line.
The psych reg, {{NAME:Olu}}, calmed the situation in a way I had never seen before.
She had been taking 40mg of omeprazole for years without review.
The score was 3/5 on the cognitive test, which worried the family.
We finished at 17:30 and I cried in the car park.
My placement in Stoke was the first time I saw real deprivation.
The {{LOC:Grace Ward}} at the hospice was named after a benefactor.
Patients on {{LOC:Rose Ward}} are often there for months.
The F1, who looked exhausted, asked if I could do the cannulas.
I think being a 3rd year made me invisible to some of the consultants.
The Friday teaching on breaking bad news helped me more than any lecture.
"""


# Second round (issue 10): the kinds of message the first rules missed on independently written text,
# several phrasings each: surnames alone, lower case, accents, apostrophes (’ too), hyphens, names from many
# origins, first names that are words, initials, bare ages, partial dates, named occasions with a year,
# odd phone spacing, seven-digit hospital numbers, Welsh and other streets, flat and house names, wards,
# hospitals, well-known units, GP surgeries and care homes (LOCATION), invisible characters and look-alike
# letters, and ordinary sentences with the same words that must stay.
ROUND2 = r"""
I shadowed {{NAME:Okonkwo}} on the ward round and he never once looked at the screen.
{{NAME:Brennan}} from the pain team came up twice before lunch.
After handover {{NAME:Fitzgerald}} told me the family had complained again.
The anaesthetist, {{NAME:Wojciechowski}}, let me hold the mask for a minute.
We waited for {{NAME:Achterberg}} to finish the consent before going in.
I found {{NAME:Mahmood}} crying in the sluice and didn't know what to say.
The registrar ({{NAME:Lindqvist}}) asked me to present the next patient.
Apparently {{NAME:Papadopoulos}} had been on the unit for three months.
I told {{NAME:Hargreaves}} I wasn't comfortable doing the exam alone.
When {{NAME:Oyelaran}} walked in the whole room went quiet.
the patient was called {{NAME:siobhan}} and she wanted to go home
i sat with mrs {{NAME:okafor}} for ages and she told me about her garden
me and {{NAME:priya}} got told off by the sister for standing in the corridor
honestly {{NAME:dave}} the porter was the kindest person i met all week
her husband {{NAME:tomasz}} kept asking when she could eat again
{{NAME:jamal}} (the HCA) showed me how to use the hoist
we spoke to {{NAME:nguyen}} about his medication and he just nodded
The man in bed 6, Mr {{NAME:Ó Súilleabháin}}, asked me to read his letter out.
His daughter {{NAME:Zoë}} flew in from Spain to see him.
I met {{NAME:Agnès Dubois}} at the memory clinic; she spoke mostly French.
{{NAME:Łukasz}} was translating for his grandmother because no interpreter came.
The student nurse, {{NAME:Ngozi Eze-Williams}}, was braver than me.
Mr {{NAME:O’Connor}} refused the cannula three times and then laughed about it.
Mrs {{NAME:D’Souza}} asked me whether I was a real doctor yet.
{{NAME:Jean-Baptiste}} had no family visiting and I thought about him all weekend.
Dr {{NAME:Smith-Holloway}} said I should write about the case for Balint.
We admitted {{NAME:Björn Andersson}} overnight with a fever after his trip.
The chaplain, Father {{NAME:Seán}} was there when she died.
My supervisor Dr {{NAME:Ifeoma Chukwu}} made time to debrief me properly.
{{NAME:Muhammad Al-Rashid}} was the first patient I clerked on my own.
Her partner {{NAME:Thandiwe}} stayed every night on the recliner chair.
A girl called {{NAME:Xiu Ying}} came in with her mum after a fall.
I looked after {{NAME:Kenji Watanabe}}, who apologised for everything.
The nurse, {{NAME:Rose}}, showed me how to talk to families at the end.
I asked {{NAME:Rose}} if I could stay for the conversation.
{{NAME:Faith}} told me she had raised four children on her own.
My patient {{NAME:Bill}} had been a miner and had terrible lungs.
{{NAME:Bill}} said he was ready and just wanted his dog.
We had a lovely chat with {{NAME:Hope}} before the scan.
{{NAME:Grace Adeyemi}} from the discharge team sorted the care package in a day.
Her sister {{NAME:Joy}} phoned every hour.
{{NAME:Will}}'s wife was sitting alone in the relatives' room.
The bill for parking was ridiculous and I resent paying it every day.
I have faith in the team even when things go wrong.
There is hope for him, the consultant said, but not much.
She rose from the chair slowly and needed the frame.
I will try to speak up more next time.
He paid the bill with coins and counted each one.
I saw Mr {{NAME:K.}} again in clinic and he remembered me.
Patient {{NAME:JD}} had been admitted four times this year.
Mrs {{NAME:T}} was worried about her cat at home.
I'll refer to him as {{NAME:R.}} to protect his privacy.
{{NAME:A.B.}} was the patient we discussed in the group.
Dr {{NAME:M. Hussain}} let me lead the consultation.
She was only {{AGE:34}} and had two small children.
A {{AGE:34}} year old woman came in with chest pain that turned out to be anxiety.
He was a {{AGE:twenty-two}}-year-old student like me.
The patient, aged {{AGE:63}}, had never been to a doctor before.
Aged {{AGE:91}}, she was still living independently.
We saw a {{AGE:6}} week old baby with a fever.
My patient was {{AGE:88}} and sharper than any of us.
He told me he'd be {{AGE:70}} next month.
The {{AGE:17}}-year-old came in alone at night.
She had just turned {{AGE:40}} and said that made it worse.
Her boy, {{AGE:9}}, sat reading while we talked.
A man in his mid-fifties was the first cardiac arrest I saw.
He was {{AGE:eighty-four}} and had buried two wives.
The youngest was {{AGE:5}} and did not understand.
I saw her again on {{DATE:the 28th}} and she had improved.
The follow-up was booked for {{DATE:01/06}} but nobody told her.
We first met at {{DATE:Christmas 2023}}, when she was admitted.
He died on {{DATE:Boxing Day 2022}} and I still think about it.
The clinic on {{DATE:the 3rd}} was cancelled because of the strike.
Her operation is on {{DATE:12.05}} if the bed is there.
She was admitted over {{DATE:Easter 2024}} and discharged a week later.
It was {{DATE:New Year's Eve 2021}} and the department was full.
Her birthday is on {{DATE:the 9th of June}} and she wanted to be home by then.
He was discharged on {{DATE:Tues 14/11}} with a new inhaler.
I remember {{DATE:Eid 2023}} because she had fasted all through Ramadan.
The letter was dated {{DATE:5th Jan}} but arrived weeks later.
We saw the baby on {{DATE:23rd}} and again two days later.
Her scan was on {{DATE:June 7}}, the day before my exam.
She told me her number was {{PHONE:07 700 900 123}} and I wrote it on my hand.
Call me on {{PHONE:0770 0900 123}} if anything changes, the daughter said.
The number on the fridge was {{PHONE:077009 00123}}.
His son's mobile is {{PHONE:07700-900-456}}.
Ring the ward on {{PHONE:01632  960  112}} to check.
The hospice line ({{PHONE:0113 496 0555}}) was busy all afternoon.
She gave {{PHONE:+44 (0) 7700 900 321}} as her contact.
He rang from {{PHONE:0044 113 4960 777}} while on holiday.
The landline was {{PHONE:01632 960 00 1}} but it had been cut off.
His hospital number {{HOSP:4471203}} was on every sheet.
The sticker said {{HOSP:5520187}} but the name was wrong.
Number {{HOSP:3318842}} on the wristband didn't match the notes.
I had to quote her hospital no. {{HOSP:0045612}} to the lab.
Her NHS number was {{NHS:spaced}} on the referral.
He read out his NHS number, {{NHS:plain}}, from memory.
The referral said {{NHS:dashed}} but the surname was different.
She lives at {{ADDR:14 Heol y Coed}}, up the hill from the surgery.
His address was {{ADDR:3 Ffordd yr Orsaf}}, {{PC:LL55 4UR}}.
The family live on {{ADDR:Stryd Fawr}} in the village.
He moved into {{ADDR:Flat 4B}}, {{ADDR:Maes y Llan}} after his wife died.
She gave her address as {{ADDR:Rose Cottage}}, {{ADDR:Church Lane}}.
They had lived at {{ADDR:The Old Vicarage}} for forty years.
Her house is called {{ADDR:Bryn Awel}} and it is at the end of a track.
He lives in {{ADDR:Ty Gwyn}} on the farm road.
The district nurse goes to {{ADDR:27 Lon Las}} every morning.
She lives at {{ADDR:9 Kingsway}} with her daughter.
His flat, {{ADDR:Flat 12}}, {{ADDR:Jubilee Court}}, has no lift.
The address was {{ADDR:22 Rue de la Paix}} because she had moved from France.
They're at {{ADDR:41 Glan yr Afon}} near the river.
The letter went to {{ADDR:Apartment 3, 8 Marine Parade}} by mistake.
He was admitted to {{LOC:Rowan Ward}} on Monday.
I spent my week on {{LOC:Ward 4B}} with the stroke team.
She was moved to {{LOC:Ward 22}} for rehab.
We transferred him to {{LOC:Alder Hey}} for specialist care.
The baby was sent to {{LOC:Great Ormond Street}} that night.
Her cancer treatment is at {{LOC:the Christie}} in Manchester.
He had been at {{LOC:Broadmoor}} years ago, the notes said.
I did my psychiatry placement at {{LOC:the Maudsley}}.
She was blue-lighted to {{LOC:Morriston Hospital}} with burns.
He was referred to {{LOC:Ysbyty Gwynedd}} for the scan.
My GP placement was at {{LOC:Parkside Surgery}}.
The patient is registered with {{LOC:Riverside Medical Practice}}.
She came from {{LOC:Sunnyside Care Home}} with a UTI.
He lives at {{LOC:Oak Lodge Nursing Home}} and rarely has visitors.
The ambulance took her to {{LOC:St Mary's}} instead of us.
I was on the {{LOC:Nightingale Unit}} for most of the week.
He'd been treated at {{LOC:Papworth}} after his transplant.
They sent the bloods to {{LOC:Addenbrooke's}} for analysis.
She was a patient at {{LOC:the Royal Free}} for years.
He was moved to {{LOC:Cedar Ward}} at {{LOC:the Royal London}}.
The {{LOC:Queen's Medical Centre}} was my first hospital.
My grandad was in {{LOC:Glan Clwyd}} when he died.
We sent him to {{LOC:Moorfields}} the same afternoon.
She was on {{LOC:Lister Ward}} when I met her.
The care home, {{LOC:Willow Bank}}, rang about his falls.
I visited {{LOC:Hillcrest House}} with the community team.
He was treated at the {{LOC:Royal Infirmary of Edinburgh}}.
Most of the patients on ITU were ventilated.
The NICU nurses were incredibly calm during the crash call.
I went to the stroke unit for the afternoon and learnt a lot.
The care home staff knew her better than we did.
She went to the GP surgery but they sent her to A&E.
The ward was short of staff all week.
My Nan lives in a nursing home now and I thought of her.
I was on the ward at 7 and left at 8.
It was the 2nd floor and the lift was broken again.
We did 3 rounds of CPR before they called it.
I read 12 pages of the guidelines and still felt lost.
She had 2 children and 5 grandchildren.
There were 24 beds and only 3 nurses.
He scored 24/30 on the MoCA.
The BP was 150/90 and the heart rate 110.
I did 100 compressions a minute like we were taught.
She said her NHS number was {{NHSZW:spaced}} and I typed it in.
The note had {{NHSZW:plain}} scribbled across the top.
I met Mrs {{NAME:Ho<ZW>lloway}} on the ward.
Dr {{NAME:Pat<SHY>el}} asked me to present.
The patient {{NAME:Оlga}} was very anxious.
Her daughter {{NAME:Аnna}} had not slept.
I spoke to {{NAME:Sаrah}} about the results.
Mr {{NAME:Jоnes}} was ready for discharge.
She rang on {{PHONE:07700<ZW>900<ZW>123}} and asked for me.
It happened on {{DATE:12/<SHY>03/2023}} at night.
The {{AGE:4<ZW>5}} year old man refused to stay.
I saw him at {{LOC:Alder<ZW> Hey}} after his surgery.
"""


# Third round, written after the second round's rules, in fresh phrasings (names from still more origins,
# chat-style lower case, particles, more Welsh addresses and units, brand and eponym negatives).  Split
# like the second round: a seeded random 30 % is "val".
ROUND3 = r"""
I asked {{NAME:Venkataraman}} whether I could scrub in, and she said yes straight away.
According to {{NAME:Whitfield}}, the family had been told the night before.
We paged {{NAME:Oduya}} three times before anyone answered.
I think {{NAME:Blackwood}} was right to stop the resus when he did.
On the way out, {{NAME:Szabó}} stopped me to ask how I was coping.
I was with {{NAME:Harjinder Kaur}} when the news came through.
{{NAME:Amir}}, {{NAME:Chloe}} and {{NAME:Tunde}} were the other students on the firm.
Her father, {{NAME:Gruffydd ap Rhys}}, farmed the hill above the village.
The consultant, Dr {{NAME:van der Berg}}, spoke so quietly that the family leaned in.
Mr {{NAME:de Souza}} told me he used to sail before the stroke.
Mrs {{NAME:Ní Bhriain}} corrected my pronunciation gently.
My tutor {{NAME:Mhairi MacLeod}} suggested I write this down.
{{NAME:McAllister}} was the registrar on nights and he was kind to me.
{{NAME:Zhang Wei}} had travelled from Leeds for the appointment.
The interpreter was late so {{NAME:Tran Thi Mai}}'s son translated.
{{NAME:Oluwaseun Adeyemi}}, the F2, taught me more than any lecture.
{{NAME:Hodan Abdullahi}} brought her three children to every visit.
Her name was {{NAME:Ayşe Yılmaz}} and she had been a teacher in Izmir.
Mr {{NAME:Núñez}} wanted to know if he could still work.
Mrs {{NAME:Gonçalves}} cried when she saw the scan.
The patient, {{NAME:Jiří Dvořák}}, spoke very little English.
Herr {{NAME:Müller}}, as he liked to be called, was a retired engineer.
{{NAME:Sørensen}} had come over from Denmark for the job.
Dr {{NAME:Subramaniam}} asked me to examine the abdomen first.
I helped {{NAME:Abdul-Rahman}} with his lunch because his hands shook.
{{NAME:Krzysztof}} was the only one who noticed I was upset.
We discussed {{NAME:Nikolaidis}} at the MDT; nobody wanted to make the call.
i was shadowing {{NAME:fatima}} on the ward and she was amazing with the family
tbh i think {{NAME:okoro}} was just tired
had a long chat with grandad {{NAME:joe}} about the war
me and {{NAME:kwame}} did the bloods together
mr {{NAME:whitaker}} kept calling me nurse
my supervisor {{NAME:ayesha}} said i did well
dr {{NAME:lindgren}} let me do the lumbar puncture
the lady in bed 4 ({{NAME:margaret}}) wanted her daughter
Sister {{NAME:Bernadette}} showed me how to lay out the body.
Matron {{NAME:Adeola}} walked the ward every morning.
Nurse {{NAME:Kowalczyk}} took the bloods in seconds.
A man of {{AGE:52}} came in with crushing chest pain.
The {{AGE:80}}-year-old had fallen at home and lain there overnight.
She was aged just {{AGE:19}} when she first became unwell.
His daughter, age {{AGE:7}}, drew pictures for the nurses.
At {{AGE:16}} she left home and never went back.
We saw a {{AGE:38}}-year-old with sudden headache.
The {{AGE:twelve}}-year-old was terrified of needles.
He was {{AGE:nineteen}} and had been sleeping rough.
My patient turned {{AGE:100}} on the ward and the staff sang.
She is {{AGE:23}}, the same age as me.
They brought in a {{AGE:2}} year old who had swallowed a battery.
We had an {{AGE:18}} yo with an overdose on my first night.
The man was in his 60s and had never been ill.
I met her on {{DATE:3rd Feb}}, the day after the snow.
By {{DATE:Feb 3rd}} she had lost another stone.
The results came back on {{DATE:the 1st}}, which was a Sunday.
She died on {{DATE:the 21st of December}} with her family around her.
His appointment is on {{DATE:05/11}} at the fracture clinic.
She was first seen on {{DATE:5/11}} by the GP.
He was admitted on {{DATE:Christmas Eve}} with pneumonia.
{{DATE:Christmas Day 2020}} was the worst shift of his life, he told me.
She was diagnosed around {{DATE:Diwali 2024}}.
He had been fasting since the start of {{DATE:Ramadan 2023}}.
The fall happened on {{DATE:2/3/24}} according to the notes.
I started on {{DATE:the 14th}} and by {{DATE:the 20th}} I felt at home.
{{DATE:Halloween 2021}} was when the symptoms began, she said.
The operation is pencilled in for {{DATE:Tuesday 9th}}.
Her mobile is {{PHONE:07700 900 999}} if you need it.
He wrote {{PHONE:07 7009 00999}} on the form but it didn't connect.
Call {{PHONE:+44 7700 900 111}} and ask for her son.
The GP surgery's number is {{PHONE:0208 123 4567}}.
The ward clerk gave me {{PHONE:(0151) 496 0123}} for the family.
His NHS no {{NHS:spaced}} was missing a digit on one form.
The discharge summary listed NHS number {{NHS:plain}}.
MRN {{HOSP:7745123}} belonged to a different patient entirely.
Her hosp no: {{HOSP:1234567}} was written on the fridge.
His number, {{HOSP:8812345}}, was on the wristband.
They live at {{ADDR:5 Maes y Dderwen}} in the village.
Her address was {{ADDR:Flat 7, Tŷ Newydd}}, above the chip shop.
The house is called {{ADDR:Ty'n y Coed}} and has no mobile signal.
He lives on {{ADDR:Heol Uchaf}}, near the chapel.
The district nurse visits {{ADDR:12 Lôn Goch}} twice a week.
She lives at {{ADDR:Corner Cottage}} with three cats.
They moved to {{ADDR:Oakfield Farm}} after he retired.
He was at {{ADDR:33 Acacia Avenue}} when the ambulance arrived.
The family live on {{ADDR:Ashgrove Close}}, a cul-de-sac.
Her flat is {{ADDR:23b Queen Street}}, above the bakery.
She gave her address as {{ADDR:Flat 2, Block C}}.
He was transferred to {{LOC:Heartlands}} overnight.
She had chemo at {{LOC:the Royal Marsden}} last year.
He had his bypass at {{LOC:Walsgrave}}.
I spent the afternoon on {{LOC:Bluebell Ward}} with the physio.
He was on {{LOC:Ward 9}} for nearly a month.
{{LOC:The Willow Unit}} is where they treat eating disorders.
She is registered at {{LOC:Cedars Surgery}}.
{{LOC:The Abbey Medical Centre}} referred him in.
She came in from {{LOC:Meadowbank Care Home}} with a chest infection.
He lives at {{LOC:Fern Lodge}}, a nursing home near the coast.
He was born at {{LOC:the Princess Royal Hospital}}.
She was transferred to {{LOC:the Countess of Chester}}.
I did a taster week at {{LOC:Whiston}}.
They sent him to {{LOC:the Royal Glamorgan}} for the scan.
She was in {{LOC:Beech Ward}} before she came to us.
He spent six weeks at {{LOC:the Priory}}.
I had to take the notes to {{LOC:Prince Charles Hospital}}.
He had been a patient at {{LOC:Rampton}} years ago.
She's in {{LOC:Primrose Ward}} now, near the window.
The ward manager at {{LOC:Lister Ward}} was very supportive.
He was prescribed Oramorph for the pain.
She uses Entonox during dressing changes.
We joined the meeting on Teams because of Covid.
She spoke Tigrinya and a little Arabic.
He only spoke Tamil and Urdu, so we used the phone interpreter.
The OSCE was the day after my placement ended.
My cousin is doing the MRCP this year.
She had Crohn's disease since her teens.
His Parkinson's had got much worse over the winter.
The Guillain-Barré diagnosis took weeks.
I watched Netflix to switch off after the shift.
We ate Greggs in the car park at 2am.
The Sikh chaplain came to pray with the family.
She was worried about her Universal Credit claim.
He supports Arsenal and talked about nothing else.
I felt like an imposter on the Tuesday ward round.
The Welsh-speaking patients preferred to talk to the HCA.
We practised on Resusci Anne before the real thing.
She had a Hickman line and a PICC line.
I used the Glasgow Coma Scale for the first time.
He'd been on Warfarin for years and bruised easily.
The Epley manoeuvre fixed her vertigo in minutes.
My Balint group met on Thursday evening.
I go back to Birmingham at the weekend.
The Caldicott Guardian had to approve the data request.
She used a Zimmer frame and hated it.
I took a Lateral Flow test before my shift.
We checked the Waterlow score and turned her every two hours.
She asked for a Bible and a glass of water.
Sepsis Six was started within the hour.
They gave him Fortisip because he wasn't eating.
Shropshire felt very rural after growing up in London.
"""


# Fourth round: longer, multi-sentence messages in the voice of a whole reflection, written after the
# third round's fixes and scored once before any change: names 26/29, structured 37/41 (0.902), words kept
# 623/623.  Its misses (initials after "The patient,", a name in brackets, "Ahmadzai waited", "was 93 and
# had", a name from no list before "was twenty-four") were then fixed, so all of it is "dev".
ROUND4 = r"""
This week I was on {{LOC:Hazel Ward}} with Dr {{NAME:Mwangi}}'s team. One patient, {{NAME:Doreen}}, was {{AGE:93}} and had outlived all her children; she told me the nurses were her family now.
I keep thinking about {{NAME:Kowalczyk}}, the man in bay 2. He was admitted on {{DATE:the 19th}} and nobody had visited him since.
When {{NAME:Ifeanyi}} (my FY1) asked me to do the ECG I panicked and forgot where V1 goes.
The patient's daughter gave me her number, {{PHONE:07700 900 546}}, in case her mum got worse overnight. I didn't know if I was allowed to keep it.
Mrs {{NAME:Ó Briain}} is {{AGE:71}} and has lived at {{ADDR:Bryn Teg}} all her life. She cried when we said she couldn't go home.
I had to check {{HOSP:4410982}} against the wristband three times because the names were so similar.
His NHS number, {{NHS:spaced}}, was wrong on the discharge letter, and I noticed before anyone else.
On {{DATE:Boxing Day}} we lost a patient I'd got to know well. {{NAME:Stanisław}} was a retired miner from near {{LOC:Glangwili}}.
I spent {{DATE:New Year's Eve 2024}} on nights in {{LOC:the Heath}} and it was the loneliest shift I've done.
A {{AGE:fifty-six}} year old builder came in after falling from scaffolding. His wife {{NAME:Bronwen}} arrived still in her slippers.
The care coordinator, {{NAME:Marguerite Dufresne}}, explained that the family had refused a care home twice.
We moved him to {{LOC:Oak Ward}} on {{DATE:Tues 3/12}} and he seemed calmer there.
honestly {{NAME:kemi}} is the best nurse on the unit, she showed me how to talk to the family without rushing
I was asked to take bloods from Mr {{NAME:Al-Hashimi}} but he refused, and I felt relieved and then guilty.
Her address, {{ADDR:Flat 3, 19 Heol Llanishen}}, was two streets from where I grew up, which felt strange.
{{NAME:Yusuf}} was only {{AGE:17}} and had been brought in by the police after a fight.
I met the chaplain, Reverend {{NAME:Adebayo-Smith}}, who sat with the family for hours.
The baby was transferred to {{LOC:the Jessop Wing}} with breathing problems.
{{NAME:Aleksander}} told me he had worked at {{LOC:Ysbyty Maelor}} as a porter for thirty years.
The ward sister, {{NAME:Precious Mahlangu}}, said I handled the conversation well.
He was born on {{DATE:14/07/1948}} and kept telling me about the war.
We saw a {{AGE:9}} month old with bronchiolitis whose mum had not slept for days.
At the MDT, {{NAME:Lindqvist}} argued for palliation and nobody disagreed.
I first met {{NAME:Gwenllian}} on {{DATE:Christmas Eve 2023}}, when she was admitted from {{LOC:Plas Gwyn Care Home}}.
{{NAME:Tobenna}}'s mum brought in a photo of him before the accident.
His mobile is {{PHONE:07700-900-812}} and he asked us to ring him if anything changed.
The registrar, {{NAME:Mariana Gonçalves}}, let me lead the consent conversation.
I was shadowing on {{LOC:Ward 11}} at {{LOC:Royal Stoke}} when the arrest call went out.
She lives at {{ADDR:7 Maes yr Ysgol}} with her sister, who is also unwell.
The patient, {{NAME:JT}}, had been in and out of hospital since {{DATE:the 2nd}}.
{{NAME:Oksana}} spoke no English and her son translated everything, even the bad news.
His hospital number {{HOSP:6602217}} was handwritten on the sample because the printer was broken.
I went back on {{DATE:the 30th}} and Mr {{NAME:Brennan-Kelly}} had been discharged.
We had teaching from Professor {{NAME:Nakamura}} about breaking bad news.
She was aged {{AGE:46}} and had three children under ten.
I visited {{LOC:Heatherbrook Nursing Home}} with the GP and it changed how I think about dementia care.
The consultant, Dr {{NAME:Fionnuala Keane}}, asked me what I'd do, and I had no idea.
The F2 ({{NAME:Ravindra}}) stayed late to help me finish the discharge letters.
{{NAME:Chiara}} was {{AGE:twenty-four}}, my age, and dying of a cancer nobody had caught.
He moved from {{ADDR:22 Ffordd y Parc}} into sheltered housing last month.
I remembered that {{DATE:the 14th of February}} was her wedding anniversary.
{{NAME:Ahmadzai}} waited four hours in A&E before anyone saw him.
Her son, {{NAME:Kwabena}}, rang from Ghana every evening.
I sat in on clinic at {{LOC:Tŷ Elli Surgery}} and saw eleven patients in a morning.
The {{AGE:38}}-year-old mother of two had been told she had weeks.
We saw Mrs {{NAME:Ng}} again on {{DATE:5th March}} and she had lost more weight.
Call me on {{PHONE:01632 960 447}} or email, the GP said to the family.
Her home, {{ADDR:Pen y Graig}}, is up a track that the ambulance couldn't manage.
I think {{NAME:Nwachukwu}} saw that I was struggling and gave me a job to do.
The man in bed 5 was {{AGE:102}} and still did the crossword every morning.
"""


# Fifth round: more whole reflections, written after the fourth round's fixes and scored once before any
# change: names 19/19, structured 20/21 (0.952), words kept 324/324; the miss ("Cardiac Ward 2") was then
# fixed.  All "dev" once its misses were looked at.
ROUND5 = r"""
Yesterday on {{LOC:Cardiac Ward 2}} I met {{NAME:Elsie}}, who is {{AGE:89}}. Her husband {{NAME:Reg}} visits every afternoon at three.
I was with Mr {{NAME:Farouk}} when he got the news. He asked me to ring his brother on {{PHONE:07700 900 378}}.
{{NAME:Teodora}} works nights at {{LOC:Brookfield Lodge}} and came in with her own mother as a patient.
The GP, Dr {{NAME:Asante}}, told me afterwards that she still thinks about her first death.
We saw a boy of {{AGE:11}} with a broken arm who wouldn't say how it happened.
He'd been living at {{ADDR:12 Coed y Brenin}} until the flood.
On {{DATE:the 7th}} I presented Ms {{NAME:Delacroix}} at grand round and my voice shook.
My supervisor Dr {{NAME:Hiroshi Tanaka}} gave me feedback that was kind but honest.
I saw {{NAME:Connolly}} on the stairs and she asked how I was doing, which nobody else had.
The nurse in charge, {{NAME:Bukola}}, was firm with the family and I admired it.
He was discharged to {{LOC:Riverside View}} on {{DATE:Friday 22nd}}.
Grandma {{NAME:Wu}} (as the ward called her) refused all her tablets.
The {{AGE:64}} yr old man had been a pilot and hated losing control.
Her grandson {{NAME:Declan}} was only {{AGE:6}} and didn't understand why she couldn't talk.
I was sent to {{LOC:Cherry Tree Ward}} to help with the drug round.
She was admitted from {{ADDR:Flat 14, Llys Dewi}} after a fall.
Her hospital no. is {{HOSP:7719034}}, the sticker said, but the name was spelt wrong.
{{NAME:Obiageli}} said her daughter was getting married on {{DATE:June 14th}} and she had to be there.
The patient in side room 3, Mr {{NAME:Petrović}}, had TB and we wore masks.
{{NAME:Rhodri}} from the chaplaincy team sat with me after the arrest.
His wife {{NAME:Su-Min}} translated, though I wasn't sure she was telling him everything.
I spoke to {{NAME:Hollis}} about whether I should have escalated sooner.
We were at {{LOC:the Royal Liverpool}} for the day for teaching.
The child, aged {{AGE:4}}, had been brought in by her grandmother.
He turned {{AGE:sixty}} on the ward and we got him a cake.
I think {{NAME:Achebe}} saw my hands shaking.
She gave her address as {{ADDR:9 Heol Fach}}, {{PC:SA4 8PQ}}.
On {{DATE:Easter Monday}} the ward was almost empty of staff.
{{NAME:Marisol}}, the interpreter, was wonderful with the family.
I finally got to meet Mrs {{NAME:Oyinlola}}'s son, who had been so angry on the phone.
"""


# Sixth round: twenty more whole reflections, scored once before any change: names 11/11, structured 13/15
# (0.867: a generic unit with its hospital, "the Neonatal Unit at Singleton", annotated as one span, of which
# the rules had redacted only the hospital), words kept 188/189.  Fixed; all "dev".
ROUND6 = r"""
The SHO, {{NAME:Aurelia}}, asked me to clerk the lady in bay 4, who was {{AGE:79}} and very deaf.
I couldn't stop thinking about Mr {{NAME:Van Wyk}} after he told me he'd stopped eating on purpose.
{{NAME:Fitzpatrick}} from physio got her walking again in a week.
His daughter lives at {{ADDR:3 Rhodfa'r Môr}} and can't drive.
She had been a resident of {{LOC:Glenholme Care Home}} for six years.
We were asked to phone her next of kin on {{PHONE:01632 960 771}} but nobody answered.
On {{DATE:Wednesday the 4th}} I saw my first birth.
{{NAME:Lakshmi}}'s husband asked me if I was old enough to be a doctor.
I was on {{LOC:Ward 5C}} with Dr {{NAME:Oyebanji}} for the whole rotation.
A woman of {{AGE:41}} was admitted with a stroke, younger than my mum.
I think {{NAME:Grzegorz}} knew he was dying before we did.
Her wristband said {{HOSP:2290541}} and her name, but the notes were someone else's.
The baby, just {{AGE:3}} days old, was taken to {{LOC:the Neonatal Unit at Singleton}}.
We met again at {{DATE:Christmas 2022}} when she was readmitted.
Mr {{NAME:Hakimi}}, {{AGE:58}}, had been a surgeon in Kabul.
i honestly don't know how {{NAME:zainab}} does nights with two kids
My tutor {{NAME:Gareth Pryce-Jones}} told me to write about the silence.
She was moved from {{LOC:Maple Ward}} to {{LOC:the Hospice at Tenovus}} on {{DATE:the 11th}}.
The man's son, {{NAME:Thabo}}, flew in from Johannesburg.
{{NAME:Dolores}} kept calling me by her granddaughter's name.
"""


# Seventh round: twenty messages on structured identifiers in fresh phrasings, scored once before any change:
# no names, structured 18/21 (0.857; "the Christmas of 2021", "both seven", "his passenger, 19,"), words
# kept 181/181.  Fixed; all "dev".
ROUND7 = r"""
Her date of birth, {{DATE:02.09.1957}}, was wrong on the drug chart.
He said he'd be back on {{DATE:Mon 12th}} for the results.
The next review is booked for {{DATE:the 21st}}, after my placement ends.
He was admitted over {{DATE:the Christmas of 2021}} and never really recovered.
The twins, both {{AGE:seven}}, sat quietly on the floor.
A young man in his twenties came in after a crash; his passenger, {{AGE:19}}, died at the scene.
She told me she'd been married since she was {{AGE:18}}.
I phoned the ward on {{PHONE:029 2074 7747}} to say I'd be late.
Her son's mobile ({{PHONE:07700 900 632}}) went straight to voicemail.
The label read {{HOSP:RM0043217}} but the request form said something else.
His NHS number ends in 5919, which I only know because I checked it four times.
She lives at {{ADDR:Flat 1A, 42 Cathedral Road}}, {{PC:CF11 9LJ}}.
The GP practice, {{LOC:Bridge Street Surgery}}, faxed the wrong letter.
He has been at {{LOC:Cefn Coed}} for years, on and off.
We sent her to {{LOC:Ward 34}} then on to {{LOC:the Burns Unit at Morriston}}.
He worked as a porter at {{LOC:Nevill Hall}} before he retired.
She was discharged to {{LOC:Ty Hafan}} for respite.
He was {{AGE:eighty}} last week and still drives.
On {{DATE:Eid ul-Adha 2024}} the family brought food for the whole ward.
Her mum was {{AGE:52}} when she had her first heart attack.
"""


def main() -> None:
    rng = random.Random(20240312)
    out = Path(__file__).with_name("redaction_corpus.jsonl")
    rows: list[dict[str, object]] = []
    for block in (DEV, HELDOUT):  # the first rounds, long since tuned against: all development data now
        for line in block.strip().splitlines():
            if line.strip():
                row = parse(line.strip(), rng)
                row["split"] = "dev"
                rows.append(row)
    # The second round: a seeded random 30 % is held out as "val" to check generalisation before tuning.
    for seed, block in ((20261202, ROUND2), (20261203, ROUND3)):
        lines = [line.strip() for line in block.strip().splitlines() if line.strip()]
        val = set(random.Random(seed).sample(range(len(lines)), k=round(len(lines) * 0.3)))
        for i, line in enumerate(lines):
            row = parse(line, rng)
            row["split"] = "val" if i in val else "dev"
            rows.append(row)
    for line in (
        (ROUND4 + ROUND5 + ROUND6 + ROUND7).strip().splitlines()
    ):  # every miss of round 4 was looked at and fixed: all "dev"
        if line.strip():
            row = parse(line.strip(), rng)
            row["split"] = "dev"
            rows.append(row)
    with out.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"wrote {len(rows)} rows to {out}")


if __name__ == "__main__":
    main()
