#!/usr/bin/env bash
# The README's walk-through with curl, as one script: start the service (`make run`), then in another
# shell, from the repository's root:
#
#   bash docs/walkthrough.sh
#
# Every shell block of the README that talks to $API is copied here verbatim, in the README's order
# (tests/core/test_readme.py checks it), and CI runs this script from start to end against a real
# `invoicing serve --with-worker` (tests/ops/test_walkthrough.py). Settings, all optional:
#   API        where the service listens (default http://127.0.0.1:8000; `make run PORT=8080` → :8080)
#   INVOICING  the command line (default .venv/bin/invoicing), run with the service's
#              INVOICING_DATABASE_URL (default sqlite:///./invoicing.db, as `make run` uses)
#   INVOICING_MAIL_DIR  where the service writes emails when no SMTP server is set (default ./mail)
# The files it writes (an invoice PDF and its download) go to a fresh temporary folder, removed at the
# end; invoice numbers carry the run's time, so it can run any number of times on one database. It
# creates its own accounts and keys and revokes only a key it created: the demo keys printed by an
# earlier `invoicing demo` keep working in the console.
set -eu

# --- Walk-through with curl -----------------------------------------------------------------------

export API=${API:-http://127.0.0.1:8000}       # make run PORT=8080 → API=http://127.0.0.1:8080
INVOICING=${INVOICING:-.venv/bin/invoicing}    # the command line (or `invoicing` with .venv/bin on PATH)
MAIL_DIR=${INVOICING_MAIL_DIR:-mail}           # where the worker writes emails (make run: ./mail)
WORK=$(mktemp -d)                              # the files the walk-through writes go here ...
trap 'rm -rf "$WORK"' EXIT                     # ... removed at the end
RUN=$(date +%s)                                # invoice numbers are unique: this run's are INV-$RUN-…
field() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }   # one field of a JSON answer
BILLING=$($INVOICING create-key --role billing | tail -n1)

# The billing engine creates an account and gives it a cash balance and a customer key.
ACME=$(curl -s -X POST $API/v1/accounts -H "Authorization: Bearer $BILLING" \
  -H 'Content-Type: application/json' -d '{"name": "Acme Cloud Ltd."}' | field '["id"]')
curl -s -X PUT $API/v1/accounts/$ACME/cash-balance -H "Authorization: Bearer $BILLING" \
  -H 'Content-Type: application/json' -d '{"cash_balance": "1000.00"}'; echo
CUSTOMER=$(curl -s -X POST $API/v1/accounts/$ACME/api-keys -H "Authorization: Bearer $BILLING" \
  -H 'Content-Type: application/json' -d '{"role": "customer"}' | field '["key"]')

# The customer certifies the enterprise ...
curl -s -X PUT $API/v1/certification -H "Authorization: Bearer $CUSTOMER" \
  -H 'Content-Type: application/json' \
  -d '{"enterprise_name": "Acme Cloud Ltd.", "taxpayer_id": "91350100M000100Y43"}'; echo

# ... keeps an invoice profile (the header is copied from the certification) ...
curl -s -X POST $API/v1/invoice-profiles -H "Authorization: Bearer $CUSTOMER" \
  -H 'Content-Type: application/json' -d '{"invoice_type": "electronic_ordinary", "is_default": true}'; echo

# ... and a mailing address.
curl -s -X POST $API/v1/mailing-addresses -H "Authorization: Bearer $CUSTOMER" \
  -H 'Content-Type: application/json' \
  -d '{"recipient": "Li Lei", "phone": "13800138000", "email": "finance@acme.example", "is_default": true}'; echo

curl -s $API/v1/account -H "Authorization: Bearer $CUSTOMER" | field '["certification_status"]'   # certified

# --- From the demo account to a delivered invoice and a reversal -----------------------------------

eval "$($INVOICING demo | grep _KEY=)"     # sets CUSTOMER_KEY, BILLING_KEY, FINANCE_KEY

# The figure beside "Request Now", and why it could be refused (blockers).
curl -s $API/v1/invoiceable-summary -H "Authorization: Bearer $CUSTOMER_KEY"; echo
# {"invoiceable_amount":"20400.00","bills":{"count":9,"amount":"14850.00"},
#  "stored_value_cards":{"count":2,"amount":"5550.00"},"invoice_deficit":"0.00","cash_balance":"8800.00",
#  "can_request":true,"blockers":[]}

PROFILE=$(curl -s $API/v1/invoice-profiles -H "Authorization: Bearer $CUSTOMER_KEY" | field '["data"][0]["id"]')
ADDRESS=$(curl -s $API/v1/mailing-addresses -H "Authorization: Bearer $CUSTOMER_KEY" | field '["data"][0]["id"]')
BILLS=$(curl -s "$API/v1/bills?invoiceable=true&limit=3" -H "Authorization: Bearer $CUSTOMER_KEY" \
  | python3 -c 'import json,sys; print(json.dumps([b["id"] for b in json.load(sys.stdin)["data"]]))')

# Request an invoice for three bills (each for its whole invoiceable cash amount).
# Idempotency-Key makes a retry safe: the same key and body replay the first answer.
REQUEST=$(curl -s -X POST $API/v1/invoice-requests -H "Authorization: Bearer $CUSTOMER_KEY" \
  -H 'Content-Type: application/json' -H 'Idempotency-Key: walkthrough-1' \
  -d "{\"bill_ids\": $BILLS, \"profile_id\": \"$PROFILE\", \"address_id\": \"$ADDRESS\", \"remark\": \"Q3 services\"}")
ID=$(echo "$REQUEST" | field '["id"]'); echo "$REQUEST" | field '["amount"]'     # 6600.00

# Finance takes it through processing, issues it split over two invoices, and delivers it.
curl -s -X POST $API/v1/invoice-requests/$ID/start -H "Authorization: Bearer $FINANCE_KEY" | field '["status"]'
curl -s -X POST $API/v1/invoice-requests/$ID/issue -H "Authorization: Bearer $FINANCE_KEY" \
  -H 'Content-Type: application/json' \
  -d "{\"invoices\": [{\"number\": \"INV-$RUN-1\", \"amount\": \"1000.00\"},
                      {\"number\": \"INV-$RUN-2\", \"amount\": \"5600.00\"}]}" | field '["status"]'
curl -s -X POST $API/v1/invoice-requests/$ID/deliver -H "Authorization: Bearer $FINANCE_KEY" \
  -H 'Content-Type: application/json' -d '{"carrier": "SF Express", "tracking_number": "SF1234567890"}' \
  | field '["status"]'                                                            # delivered

# A red-letter reversal: a VAT ordinary invoice needs no confirmation of the buyer, so finance
# records one red-letter invoice per issued one at once; then the bills' amounts are given back.
curl -s -X POST $API/v1/invoice-requests/$ID/reverse -H "Authorization: Bearer $FINANCE_KEY" \
  -H 'Content-Type: application/json' -d '{"reason": "Customer asked for a VAT special invoice instead"}' \
  | python3 -c 'import json,sys; r=json.load(sys.stdin); print(r["status"], r["red_letter"]["confirmation"])'
# reversing not_required
curl -s -X POST $API/v1/invoice-requests/$ID/red-invoices -H "Authorization: Bearer $FINANCE_KEY" \
  -H 'Content-Type: application/json' \
  -d "{\"invoices\": [{\"number\": \"RED-$RUN-1\", \"blue_number\": \"INV-$RUN-1\"},
                      {\"number\": \"RED-$RUN-2\", \"blue_number\": \"INV-$RUN-2\"}]}" \
  | python3 -c 'import json,sys; [print(e["status"], e["note_code"], e["note"]) for e in json.load(sys.stdin)["events"]]'
# pending None None
# processing None None
# issued invoices_issued Invoices INV-…-1, INV-…-2
# delivered delivered Carrier: SF Express; Tracking number: SF1234567890
# reversing None Customer asked for a VAT special invoice instead
# reversed red_invoices_recorded Red-letter invoices RED-…-1, RED-…-2

# Any move outside the lifecycle is refused:
curl -s -X POST $API/v1/invoice-requests/$ID/start -H "Authorization: Bearer $FINANCE_KEY"; echo
# {"type":".../invalid_transition","status":409,"code":"invalid_transition","current_status":"reversed",...}

# Internal services follow every change on the events feed (resume with ?after=<next_cursor>).
curl -s "$API/v1/events?limit=20" -H "Authorization: Bearer $FINANCE_KEY" | field '["data"][0]["type"]'
# certification.updated

# --- Money after invoicing: a refund and the request that settles it -------------------------------

# The billing engine refunds part of a card after it was invoiced. An amount already invoiced is
# never taken back: what was invoiced beyond what the customer finally paid is the account's
# invoice deficit (欠票), shown on the account, the summary and the events feed.
ACCOUNT=$(curl -s $API/v1/account -H "Authorization: Bearer $CUSTOMER_KEY" | field '["id"]')
CARD=$(curl -s "$API/v1/stored-value-cards?invoiceable=true&limit=1" -H "Authorization: Bearer $CUSTOMER_KEY" \
  | field '["data"][0]["id"]')
CARD_REQUEST=$(curl -s -X POST $API/v1/invoice-requests -H "Authorization: Bearer $CUSTOMER_KEY" \
  -H 'Content-Type: application/json' \
  -d "{\"stored_value_card_ids\": [\"$CARD\"], \"profile_id\": \"$PROFILE\", \"address_id\": \"$ADDRESS\"}")
CARD_REQUEST_ID=$(echo "$CARD_REQUEST" | field '["id"]'); echo "$CARD_REQUEST" | field '["amount"]'   # 4600.00
curl -s -X POST $API/v1/invoice-requests/$CARD_REQUEST_ID/start -H "Authorization: Bearer $FINANCE_KEY" > /dev/null
curl -s -X POST $API/v1/invoice-requests/$CARD_REQUEST_ID/issue -H "Authorization: Bearer $FINANCE_KEY" \
  -H 'Content-Type: application/json' -d "{\"invoices\": [{\"number\": \"INV-$RUN-3\", \"amount\": \"4600.00\"}]}" \
  | field '["status"]'                                                            # issued

curl -s -X POST $API/v1/accounts/$ACCOUNT/stored-value-cards/$CARD/refunds -H "Authorization: Bearer $BILLING_KEY" \
  -H 'Content-Type: application/json' -d '{"amount": "500.00", "reason": "Unused balance refunded"}'; echo
# {"card_no":"DEMO-SVC-0002","paid_amount":"4600.00","refunded_amount":"500.00","requested_amount":"4600.00",
#  "invoiceable_amount":"0.00","over_invoiced_amount":"500.00",...}
curl -s $API/v1/invoiceable-summary -H "Authorization: Bearer $CUSTOMER_KEY"; echo
# {"invoiceable_amount":"15300.00","bills":{"count":9,"amount":"14850.00"},
#  "stored_value_cards":{"count":1,"amount":"950.00"},"invoice_deficit":"500.00",...}    15800.00 - 500.00

# The next request settles the deficit first: one negative line per over-invoiced item, and the
# request's amount (what finance invoices) is the sum of all lines.
BILL=$(curl -s "$API/v1/bills?invoiceable=true&limit=1" -H "Authorization: Bearer $CUSTOMER_KEY" | field '["data"][0]["id"]')
curl -s -X POST $API/v1/invoice-requests -H "Authorization: Bearer $CUSTOMER_KEY" -H 'Content-Type: application/json' \
  -d "{\"bill_ids\": [\"$BILL\"], \"profile_id\": \"$PROFILE\", \"address_id\": \"$ADDRESS\"}" \
  | python3 -c 'import json,sys; r=json.load(sys.stdin); print(r["amount"]); [print(" ", i["amount"], i["label"]) for i in r["items"]]'
# 2012.50
#   2512.50 Bill 2026-11
#   -500.00 Stored-value card DEMO-SVC-0002: settles an earlier over-invoiced amount
curl -s $API/v1/account -H "Authorization: Bearer $CUSTOMER_KEY" | field '["invoice_deficit"]'    # 0.00
# Cancelling (or rejecting, or reversing) that request would give every line back: the 500.00 would be
# owed again. A selection that does not exceed the deficit is refused with 409 invoice_deficit.

# --- From issue to the email in ./mail ------------------------------------------------------------

# An electronic profile, and an address whose invoices are copied to the CFO (up to 5 cc_emails).
PROFILE=$(curl -s -X POST $API/v1/invoice-profiles -H "Authorization: Bearer $CUSTOMER_KEY" \
  -H 'Content-Type: application/json' -d '{"invoice_type": "electronic_ordinary"}' | field '["id"]')
ADDRESS=$(curl -s -X POST $API/v1/mailing-addresses -H "Authorization: Bearer $CUSTOMER_KEY" \
  -H 'Content-Type: application/json' -d '{"recipient": "Li Lei", "phone": "13800138000",
  "email": "finance@acme.example", "cc_emails": ["cfo@acme.example"]}' | field '["id"]')
BILL=$(curl -s "$API/v1/bills?invoiceable=true&limit=1" -H "Authorization: Bearer $CUSTOMER_KEY" | field '["data"][0]["id"]')
ID=$(curl -s -X POST $API/v1/invoice-requests -H "Authorization: Bearer $CUSTOMER_KEY" -H 'Content-Type: application/json' \
  -d "{\"bill_ids\": [\"$BILL\"], \"profile_id\": \"$PROFILE\", \"address_id\": \"$ADDRESS\"}" | field '["id"]')
AMOUNT=$(curl -s -X POST $API/v1/invoice-requests/$ID/start -H "Authorization: Bearer $FINANCE_KEY" | field '["amount"]')
EINV=EINV-$RUN
curl -s -X POST $API/v1/invoice-requests/$ID/issue -H "Authorization: Bearer $FINANCE_KEY" -H 'Content-Type: application/json' \
  -d "{\"invoices\": [{\"number\": \"$EINV\", \"amount\": \"$AMOUNT\"}]}" | field '["allowed_moves"]'
# ['reverse', 'upload_file']      no `deliver` yet: an electronic invoice is emailed with its PDF
curl -s -X POST $API/v1/invoice-requests/$ID/deliver -H "Authorization: Bearer $FINANCE_KEY" | field '["code"]'
# invoice_file_missing

# Finance uploads the invoice file itself (pdf, ofd or xml; at most 10 MiB; checked to be one).
printf '%%PDF-1.7\n%%demo\n%%%%EOF\n' > "$WORK/invoice.pdf"      # any PDF will do
curl -s -X PUT $API/v1/invoice-requests/$ID/invoices/$EINV/files/pdf -H "Authorization: Bearer $FINANCE_KEY" \
  -H 'Content-Type: application/pdf' --data-binary @"$WORK/invoice.pdf" | field '["invoices"][0]["files"]'
# [{'format': 'pdf', 'size': 21, 'sha256': '000a72…', 'url': '/v1/invoice-requests/…/invoices/EINV-…/files/pdf'}]

curl -s -X POST $API/v1/invoice-requests/$ID/deliver -H "Authorization: Bearer $FINANCE_KEY" | field '["delivery"]'
# {'channel': 'email', 'to': ['finance@acme.example', 'cfo@acme.example'], 'status': 'queued', 'attempts': 0, …}
for try in $(seq 30); do                   # the background worker sends it within a few seconds
  STATUS=$(curl -s $API/v1/invoice-requests/$ID -H "Authorization: Bearer $CUSTOMER_KEY" | field '["delivery"]["status"]')
  [ "$STATUS" = queued ] || break; sleep 1
done; echo "$STATUS"                       # sent
EML=$(grep -l "filename=\"$EINV.pdf\"" "$MAIL_DIR"/*.eml)    # afde33d3b71a46fb8bd2ed1482524fac_localhost.eml
grep -E '^(To|Cc|Message-ID)|filename' "$EML"
# To: finance@acme.example / Cc: cfo@acme.example / Message-ID: <afde…@localhost>
# Content-Disposition: attachment; filename="EINV-….pdf"

# The customer downloads the file (ETag; If-None-Match answers 304), and may have it sent again.
curl -s -o "$WORK/$EINV.pdf" $API/v1/invoice-requests/$ID/invoices/$EINV/files/pdf -H "Authorization: Bearer $CUSTOMER_KEY"
cmp "$WORK/invoice.pdf" "$WORK/$EINV.pdf" && echo 'the same bytes'
curl -s -X POST $API/v1/invoice-requests/$ID/resend -H "Authorization: Bearer $CUSTOMER_KEY" \
  -H 'Content-Type: application/json' -d '{"email": "archive@acme.example"}' -o /dev/null -w '%{http_code}\n'   # 202

# Issuing through the sandbox: an empty body, and the worker gets the numbers, the PDF and the XML
# from the tax platform (make run: INVOICING_TAX_PLATFORM=sandbox); nobody types a number.
BILL=$(curl -s "$API/v1/bills?invoiceable=true&limit=1" -H "Authorization: Bearer $CUSTOMER_KEY" | field '["data"][0]["id"]')
ID=$(curl -s -X POST $API/v1/invoice-requests -H "Authorization: Bearer $CUSTOMER_KEY" -H 'Content-Type: application/json' \
  -d "{\"bill_ids\": [\"$BILL\"], \"profile_id\": \"$PROFILE\", \"address_id\": \"$ADDRESS\"}" | field '["id"]')
curl -s -X POST $API/v1/invoice-requests/$ID/start -H "Authorization: Bearer $FINANCE_KEY" > /dev/null
curl -s -X POST $API/v1/invoice-requests/$ID/issue -H "Authorization: Bearer $FINANCE_KEY" \
  -o "$WORK/issue.json" -w '%{http_code} '; field '["status"]' < "$WORK/issue.json"   # 202 issuing
for try in $(seq 30); do                   # the worker issues it within a few seconds
  STATUS=$(curl -s $API/v1/invoice-requests/$ID -H "Authorization: Bearer $CUSTOMER_KEY" | field '["status"]')
  [ "$STATUS" = issuing ] || break; sleep 1
done; echo "$STATUS"                       # delivered: issued, then emailed with its PDF at once
NUMBER=$(curl -s $API/v1/invoice-requests/$ID -H "Authorization: Bearer $CUSTOMER_KEY" | field '["invoices"][0]["number"]')
echo "$NUMBER"                             # 26350000900000000001  (20 digits: the sandbox's numbering)
curl -s -o "$WORK/$NUMBER.pdf" -w '%{http_code} %{content_type}\n' \
  $API/v1/invoice-requests/$ID/invoices/$NUMBER/files/pdf -H "Authorization: Bearer $CUSTOMER_KEY"
head -c 4 "$WORK/$NUMBER.pdf"; echo        # %PDF

# A seller whose invoices carry at most 600.00, and two bills it invoices at two rates.
SELLER=$(curl -s -X POST $API/v1/sellers -H "Authorization: Bearer $BILLING_KEY" -H 'Content-Type: application/json' \
  -d '{"name": "杭州示例软件有限公司", "taxpayer_id": "91330106MA27ABCE01", "address": "杭州市西湖区文三路2号",
       "phone": "0571-88888889", "bank_name": "中国工商银行杭州文三路支行", "bank_account": "1202020000000000002",
       "max_invoice_amount": "600.00"}' | field '["id"]')
B1=$(curl -s -X PUT $API/v1/accounts/$ACCOUNT/bills/2025-01 -H "Authorization: Bearer $BILLING_KEY" \
  -H 'Content-Type: application/json' -d '{"total_amount": "1000.00", "cash_amount": "1000.00", "voucher_amount": "0.00",
  "stored_value_card_amount": "0.00", "seller_id": "'$SELLER'", "tax_rate": "0.06"}' | field '["id"]')
B2=$(curl -s -X PUT $API/v1/accounts/$ACCOUNT/bills/2025-02 -H "Authorization: Bearer $BILLING_KEY" \
  -H 'Content-Type: application/json' -d '{"total_amount": "500.00", "cash_amount": "500.00", "voucher_amount": "0.00",
  "stored_value_card_amount": "0.00", "seller_id": "'$SELLER'", "tax_rate": "0.13", "item_name": "*软件*许可费"}' | field '["id"]')
# The customer requests both: the draft is three invoices, each within the seller's limit.
TAXED=$(curl -s -X POST $API/v1/invoice-requests -H "Authorization: Bearer $CUSTOMER_KEY" -H 'Content-Type: application/json' \
  -d '{"bill_ids": ["'$B1'", "'$B2'"], "profile_id": "'$PROFILE'", "address_id": "'$ADDRESS'"}')
echo "$TAXED" | python3 -c "import json, sys
for i in json.load(sys.stdin)['draft']['invoices']:
    print(i['amount'], '=', i['amount_excluding_tax'], '+ tax', i['tax_amount'], [(l['tax_rate'], l['amount'], l['tax_amount']) for l in i['lines']])"
# 600.00 = 566.04 + tax 33.96 [('0.06', '600.00', '33.96')]
# 600.00 = 554.35 + tax 45.65 [('0.06', '400.00', '22.64'), ('0.13', '200.00', '23.01')]
# 300.00 = 265.49 + tax 34.51 [('0.13', '300.00', '34.51')]
curl -s -o "$WORK/draft.pdf" -w '%{http_code} %{content_type}\n' $API/v1/invoice-requests/$(echo "$TAXED" | field '["id"]')/draft.pdf \
  -H "Authorization: Bearer $CUSTOMER_KEY"                                           # 200 application/pdf
curl -s -X POST $API/v1/invoice-requests/$(echo "$TAXED" | field '["id"]')/cancel \
  -H "Authorization: Bearer $CUSTOMER_KEY" | field '["status"]'                       # cancelled (the bills are free again)
for MONTH in 2025-01 2025-02; do                        # and the example's bills are billed at zero again
  curl -s -o /dev/null -X PUT $API/v1/accounts/$ACCOUNT/bills/$MONTH -H "Authorization: Bearer $BILLING_KEY" \
    -H 'Content-Type: application/json' \
    -d '{"total_amount": "0.00", "cash_amount": "0.00", "voucher_amount": "0.00", "stored_value_card_amount": "0.00"}'
done

# --- A re-issue: the red letter the buyer confirms --------------------------------------------

# A VAT special invoice on paper for a bill of 800.00 ...
SPECIAL=$(curl -s -X POST $API/v1/invoice-profiles -H "Authorization: Bearer $CUSTOMER_KEY" -H 'Content-Type: application/json' \
  -d '{"invoice_type": "vat_special", "bank_name": "Industrial Bank, Fuzhou Branch", "bank_account": "117010100100012345",
       "registered_address": "88 Software Avenue, Gulou District, Fuzhou", "registered_phone": "0591-87654321"}' | field '["id"]')
POSTAL=$(curl -s -X POST $API/v1/mailing-addresses -H "Authorization: Bearer $CUSTOMER_KEY" -H 'Content-Type: application/json' \
  -d '{"recipient": "Han Meimei", "phone": "13800138000", "address": "88 Software Avenue, Gulou District, Fuzhou",
       "postal_code": "350001"}' | field '["id"]')
B3=$(curl -s -X PUT $API/v1/accounts/$ACCOUNT/bills/2025-03 -H "Authorization: Bearer $BILLING_KEY" \
  -H 'Content-Type: application/json' -d '{"total_amount": "800.00", "cash_amount": "800.00", "voucher_amount": "0.00",
  "stored_value_card_amount": "0.00"}' | field '["id"]')
OLD=$(curl -s -X POST $API/v1/invoice-requests -H "Authorization: Bearer $CUSTOMER_KEY" -H 'Content-Type: application/json' \
  -d '{"bill_ids": ["'$B3'"], "profile_id": "'$SPECIAL'", "address_id": "'$POSTAL'"}' | field '["id"]')
curl -s -o /dev/null -X POST $API/v1/invoice-requests/$OLD/start -H "Authorization: Bearer $FINANCE_KEY"
curl -s -X POST $API/v1/invoice-requests/$OLD/issue -H "Authorization: Bearer $FINANCE_KEY" -H 'Content-Type: application/json' \
  -d '{"invoices": [{"number": "SPEC-'$RUN'", "amount": "800.00"}]}' | field '["status"]'           # issued

# ... which the customer wants again as an electronic ordinary one. One call starts the reversal
# (reason code issue_error) and creates the replacing request, holding the same lines and amounts.
NEW=$(curl -s -X POST $API/v1/invoice-requests/$OLD/reissue -H "Authorization: Bearer $CUSTOMER_KEY" \
  -H 'Content-Type: application/json' \
  -d '{"profile_id": "'$PROFILE'", "address_id": "'$ADDRESS'", "reason": "Wanted an electronic ordinary invoice"}')
echo "$NEW" | python3 -c 'import json,sys; r=json.load(sys.stdin)
print(r["status"], r["amount"], r["invoice_type"], r["replaces_request_id"] == sys.argv[1])' "$OLD"
# pending 800.00 electronic_ordinary True
NEW_ID=$(echo "$NEW" | field '["id"]')
curl -s $API/v1/invoice-requests/$OLD -H "Authorization: Bearer $CUSTOMER_KEY" | python3 -c 'import json,sys
r=json.load(sys.stdin); l=r["red_letter"]; print(r["status"], l["reason_code"], l["buyer_usage"], l["confirmation"], r["allowed_moves"])'
# reversing issue_error deducted awaiting_buyer ['confirm_red_letter', 'decline_red_letter']

# The buyer may already have deducted a special invoice's tax: nothing is red-lettered, and the
# replacement is not issued, before the buyer agrees (or declines, or 72 hours pass: then the old
# request is issued again and the replacement cancelled).
curl -s -X POST $API/v1/invoice-requests/$OLD/red-invoices -H "Authorization: Bearer $FINANCE_KEY" \
  -H 'Content-Type: application/json' \
  -d '{"invoices": [{"number": "RED-SPEC-'$RUN'", "blue_number": "SPEC-'$RUN'"}]}' | field '["code"]'
# red_letter_not_confirmed
curl -s -o /dev/null -X POST $API/v1/invoice-requests/$NEW_ID/start -H "Authorization: Bearer $FINANCE_KEY"
curl -s -X POST $API/v1/invoice-requests/$NEW_ID/issue -H "Authorization: Bearer $FINANCE_KEY" -H 'Content-Type: application/json' \
  -d '{"invoices": [{"number": "EINV-R-'$RUN'", "amount": "800.00"}]}' | field '["code"]'
# replaced_request_not_reversed

# The buyer confirms on the tax platform and gives the confirmation form's number (红字确认单) ...
curl -s -X POST $API/v1/invoice-requests/$OLD/red-letter/confirm -H "Authorization: Bearer $CUSTOMER_KEY" \
  -H 'Content-Type: application/json' -d '{"form_no": "44030024120300000123"}' | field '["red_letter"]["confirmation"]'
# confirmed
# ... finance records the red-letter invoice, the blue one negated, and the old request is reversed ...
curl -s -X POST $API/v1/invoice-requests/$OLD/red-invoices -H "Authorization: Bearer $FINANCE_KEY" \
  -H 'Content-Type: application/json' \
  -d '{"invoices": [{"number": "RED-SPEC-'$RUN'", "blue_number": "SPEC-'$RUN'"}]}' | python3 -c 'import json,sys
r=json.load(sys.stdin); print(r["status"], [(i["blue_number"][:5], i["amount"], i["tax_amount"]) for i in r["red_letter"]["red_invoices"]])'
# reversed [('SPEC-', '-800.00', '-45.28')]
# ... and the replacement, which kept the amounts all along, is issued.
curl -s -X POST $API/v1/invoice-requests/$NEW_ID/issue -H "Authorization: Bearer $FINANCE_KEY" -H 'Content-Type: application/json' \
  -d '{"invoices": [{"number": "EINV-R-'$RUN'", "amount": "800.00"}]}' \
  | python3 -c 'import json,sys; r=json.load(sys.stdin); print(r["status"], r["amount"], r["invoices"][0]["amount"])'
# issued 800.00 800.00

# --- Automatic monthly invoicing ------------------------------------------------------------------

curl -s -X PUT $API/v1/auto-invoicing -H "Authorization: Bearer $CUSTOMER_KEY" -H 'Content-Type: application/json' \
  -d "{\"enabled\": true, \"profile_id\": \"$PROFILE\", \"address_id\": \"$ADDRESS\"}"; echo
# {"enabled":true,"profile_id":"…","address_id":"…","updated_at":"…Z"}
$INVOICING auto-invoice --date "$(date -u +%Y-%m)-28"     # what the worker does daily, here as of the 28th
# requested 1, skipped 0
AUTO=$(curl -s "$API/v1/invoice-requests?limit=1" -H "Authorization: Bearer $CUSTOMER_KEY" | field '["data"][0]["id"]')
curl -s $API/v1/invoice-requests/$AUTO -H "Authorization: Bearer $CUSTOMER_KEY" | field '["events"]'
# [{'status': 'pending', 'at': '…Z', 'actor_role': 'system', 'note_code': 'requested_automatically',
#   'note': 'Requested automatically by monthly automatic invoicing (2026-12).'}]

# --- For integrators ------------------------------------------------------------------------------

curl -si $API/v1/account | head -n1                                  # HTTP/1.1 401 Unauthorized
curl -s  $API/v1/accounts/$ACCOUNT -H "Authorization: Bearer $CUSTOMER_KEY" | field '["code"]'   # forbidden

# Revoke Acme's customer key (the demo keys stay valid, so the console still signs in with them).
KEYS=$(curl -s $API/v1/accounts/$ACME/api-keys -H "Authorization: Bearer $BILLING_KEY")
KEY_ID=$(echo "$KEYS" | field '["data"][0]["id"]')                                # Acme has one key: $CUSTOMER
curl -s -o /dev/null -w '%{http_code}\n' -X DELETE $API/v1/accounts/$ACME/api-keys/$KEY_ID \
  -H "Authorization: Bearer $BILLING_KEY"                                            # 204
sleep 6                                    # workers trust a checked key for INVOICING_AUTH_CACHE_SECONDS (5)
curl -s $API/v1/account -H "Authorization: Bearer $CUSTOMER" | field '["code"]'    # unauthenticated

# Month-end: the billing engine sends many accounts' bills in one call (up to 1,000); each bill
# gets its own result, and a bad one (here an unknown account) fails alone.
curl -s -X POST $API/v1/bills/batch -H "Authorization: Bearer $BILLING_KEY" -H 'Content-Type: application/json' \
  -d '{"bills": [{"account_id": "'$ACME'", "period": "2026-06", "total_amount": "80.00", "cash_amount": "80.00",
                  "voucher_amount": "0.00", "stored_value_card_amount": "0.00"},
                 {"account_id": "00000000-0000-4000-8000-000000000000", "period": "2026-06", "total_amount": "1.00",
                  "cash_amount": "1.00", "voucher_amount": "0.00", "stored_value_card_amount": "0.00"}]}' \
  | field '["results"]'             # [{... 'ok': True, 'status': 'created' ...}, {... 'ok': False, 'code': 'not_found' ...}]

curl -s -X PUT $API/v1/certification -H "Authorization: Bearer $CUSTOMER_KEY" \
  -H 'Content-Type: application/json' -d '{"enterprise_name": "Acme", "taxpayer_id": "123"}'; echo
# {"type":"https://invoicing.example.com/problems/validation_error","title":"Unprocessable Entity",
#  "status":422,"detail":"body.taxpayer_id: ...","code":"validation_error","request_id":"…",
#  "errors":[{"field":"body.taxpayer_id","message":"..."}]}

for try in 1 2; do
  curl -si -X POST $API/v1/accounts -H "Authorization: Bearer $BILLING_KEY" -H 'Content-Type: application/json' \
    -H 'Idempotency-Key: onboard-42' -d '{"name": "Retry Ltd."}' | grep -iE '^(HTTP|idempotent-replayed)'
done
# HTTP/1.1 201 Created
# HTTP/1.1 201 Created           the same status and body: nothing was created twice
# idempotent-replayed: true

PAGE=$(curl -s "$API/v1/bills?limit=5" -H "Authorization: Bearer $CUSTOMER_KEY")
curl -s "$API/v1/bills?limit=5&cursor=$(echo "$PAGE" | field '["next_cursor"]')" \
  -H "Authorization: Bearer $CUSTOMER_KEY" | field '["has_more"]'

curl -s "$API/v1/invoice-requests?status=pending&limit=2" -H "Authorization: Bearer $FINANCE_KEY"; echo
# {"data":[{"id":"…","account_id":"…","status":"pending","amount":"2012.50","invoice_type":"vat_special",
#   "title":"…","remark":null,"created_at":"…Z","updated_at":"…Z"}, …],
#  "has_more":true,"next_cursor":"…"}

# Search: every filter combines with the others and with the keyset pages; a misspelt one is 422.
curl -s "$API/v1/invoice-requests?title=acme&amount_min=100.00&invoice_type=vat_special&limit=5" \
  -H "Authorization: Bearer $FINANCE_KEY" | field '["has_more"]'
curl -s "$API/v1/invoice-requests?overdue=true" -H "Authorization: Bearer $FINANCE_KEY" | field '["has_more"]'
# Export what the same filters pick: CSV (UTF-8 with a BOM, a header row, one row per invoice line,
# or per request line before issuing) ...
curl -s "$API/v1/invoice-requests/export?created_from=2026-01-01T00:00:00Z" \
  -H "Authorization: Bearer $FINANCE_KEY" | head -n 2
# request_id,status,account_id,account_name,title,taxpayer_id,invoice_type,request_amount,created_at,due_at,invoice_number,blue_invoice_number,issued_at,line,item_kind,item_label,item_name,tax_category_code,tax_rate,amount,amount_excluding_tax,tax_amount
# …,pending,…,Acme Cloud Ltd.,…
# ... or XLSX.
curl -s -o /dev/null -w '%{http_code} %{content_type}\n' "$API/v1/invoice-requests/export?status=pending" \
  -H "Authorization: Bearer $FINANCE_KEY" \
  -H 'Accept: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'
# 200 application/vnd.openxmlformats-officedocument.spreadsheetml.sheet
# Start up to 100 pending requests at once: a result per id, each in its own transaction.
IDS=$(curl -s "$API/v1/invoice-requests?status=pending&limit=3" -H "Authorization: Bearer $FINANCE_KEY" \
  | python3 -c 'import json,sys; print(json.dumps([r["id"] for r in json.load(sys.stdin)["data"]]))')
curl -s -X POST $API/v1/invoice-requests/bulk/start -H "Authorization: Bearer $FINANCE_KEY" \
  -H 'Content-Type: application/json' -H "Idempotency-Key: bulk-start-$(date +%s)" -d "{\"ids\": $IDS}"; echo
# {"results":[{"id":"…","ok":true,"code":null,"status":"processing"}, …]}

CURSOR=""
while :; do
  PAGE=$(curl -s "$API/v1/events?limit=100${CURSOR:+&after=$CURSOR}" -H "Authorization: Bearer $FINANCE_KEY")
  echo "$PAGE" | python3 -c 'import json,sys; [print(e["id"], e["type"]) for e in json.load(sys.stdin)["data"]]'
  CURSOR=$(echo "$PAGE" | field '["next_cursor"] or ""')
  [ "$(echo "$PAGE" | field '["has_more"]')" = True ] || break   # then sleep and poll again from $CURSOR
done

# --- Webhooks (docs/WEBHOOKS.md) ----------------------------------------------------------------

HOOK=$(curl -s -X POST $API/v1/webhook-endpoints -H "Authorization: Bearer $BILLING_KEY" \
  -H 'Content-Type: application/json' \
  -d '{"url": "https://erp.example.com/hooks/invoicing", "event_types": ["invoice_request.issued", "invoice_request.delivered"], "description": "ERP"}')
echo "$HOOK" | field '["secret"]'                    # whsec_… — keep it in the receiver's settings
HOOK_ID=$(echo "$HOOK" | field '["id"]')
curl -s $API/v1/webhook-endpoints/$HOOK_ID/deliveries -H "Authorization: Bearer $BILLING_KEY"   # attempts
curl -s -X POST $API/v1/webhook-endpoints/$HOOK_ID/rotate-secret -H "Authorization: Bearer $BILLING_KEY"
curl -s -X DELETE $API/v1/webhook-endpoints/$HOOK_ID -H "Authorization: Bearer $BILLING_KEY"   # 204: no more deliveries

# --- For operators --------------------------------------------------------------------------------

curl -s $API/healthz; echo                 # {"status":"ok"}        the process is alive (no database)
curl -s $API/readyz; echo                  # {"status":"ready","tax_platform":"sandbox"}  database reachable, schema at head; else 503 problem
curl -s $API/metrics | grep invoicing_http_requests_total | head -3

echo 'walk-through finished'
