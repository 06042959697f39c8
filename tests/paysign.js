// Signatures computed by the providers' own Node libraries, for the
// payment tests (tests/npm.sh installs them; NODE_PATH points there).
//   node paysign.js stripe SECRET TIMESTAMP < body   -> Stripe-Signature value
//   node paysign.js adyen HEXKEY < notification      -> the notification with
//        each item's additionalData.hmacSignature set
//   node paysign.js adyen-check HEXKEY < notification -> "valid" or "invalid"
'use strict';
const fs = require('fs');
const body = fs.readFileSync(0, 'utf8');
const [mode, key, ts] = process.argv.slice(2);

if (mode === 'stripe') {
	const stripe = require('stripe')('sk_test_unused');
	process.stdout.write(stripe.webhooks.generateTestHeaderString({
		payload: body, secret: key, timestamp: Number(ts),
	}));
} else if (mode === 'adyen' || mode === 'adyen-check') {
	const { hmacValidator } = require('@adyen/api-library');
	const v = new hmacValidator();
	const n = JSON.parse(body);
	let ok = true;
	for (const it of n.notificationItems) {
		const item = it.NotificationRequestItem;
		if (mode === 'adyen') {
			item.additionalData = item.additionalData || {};
			item.additionalData.hmacSignature = v.calculateHmac(item, key);
		} else {
			ok = ok && v.validateHMAC(item, key);
		}
	}
	process.stdout.write(mode === 'adyen' ? JSON.stringify(n) : ok ? 'valid' : 'invalid');
} else {
	process.stderr.write('usage: paysign.js stripe|adyen|adyen-check KEY [TS]\n');
	process.exit(2);
}
