/* The customer page's words in the languages we write to customers in
 * (Chinese both in Simplified and in Traditional script). Plain, polite,
 * the way the reminders themselves are written. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "acceptlang.h"
#include "page.h"

const char *const page_reason_codes[PAGE_NREASONS] = {
	"not_recognised", "already_paid", "wrong_amount", "service_problem", "other",
};

const char *const page_status_codes[PAGE_NSTATUS] = {
	"open", "investigating", "upheld", "rejected", "withdrawn",
};

static const struct page_text texts[PAGE_NLANG] = {
	[PAGE_EN] =
		{
			.lang = "en",
			.title = "Your account with {}",
			.hello = "Hello {},",
			.intro =
				"Here is what is overdue on your account. Thank you for taking a look.",
			.contact = "We send your reminders to {}.",
			.th_invoice = "Invoice",
			.th_due = "Due",
			.th_amount = "Amount",
			.total = "Total overdue",
			.late_fee = "Late fee",
			.with_fees = "Total with late fees",
			.pay_now = "Pay now",
			.under_review = "Under review ({})",
			.nothing_due = "There is nothing overdue on your account. Thank you!",
			.promise_h = "I will pay by a date",
			.promise_p =
				"Choose the date by which you will pay, up to {} days from today. "
				"We will not send reminders until then.",
			.promise_lbl = "Payment date",
			.promise_btn = "Confirm my date",
			.promised = "Thank you. We have noted that you will pay by {}. "
				    "We will not send reminders until then.",
			.plan_h = "I need a payment plan",
			.plan_p =
				"If paying in full is difficult right now, our team will contact you "
				"to agree a plan that works for you. Reminders pause meanwhile.",
			.plan_btn = "Ask for a payment plan",
			.planned =
				"Thank you. Our team will contact you shortly about a payment plan. "
				"Reminders are paused meanwhile.",
			.dispute_h = "I dispute a charge",
			.dispute_p =
				"Tell us which invoice and why. We pause reminders for that invoice "
				"while we look into it.",
			.lbl_invoice = "Invoice",
			.lbl_reason = "Reason",
			.lbl_detail = "Details (optional, up to 1000 characters)",
			.dispute_btn = "Send my dispute",
			.reasons = {"I do not recognise this charge", "I have already paid",
				    "The amount is wrong", "I had a problem with the service",
				    "Other"},
			.disputes_h = "Your disputes",
			.dispute_on = "Invoice {}",
			.opened = "Received on {}",
			.resolved = "Resolved on {}",
			.status = {"Received: we will look into it", "Being looked into",
				   "Resolved in your favour: the charge has been removed",
				   "Reviewed: we found the charge to be correct", "Withdrawn"},
			.rate_q = "How satisfied are you with how we handled this?",
			.rate_lo = "1 = not at all",
			.rate_hi = "5 = very satisfied",
			.rate_btn = "Send my rating",
			.rated = "Thank you for your rating ({}/5).",
			.dispute_ok =
				"Thank you. We have received your dispute. Your reference is {}.",
			.rate_ok = "Thank you for your feedback.",
			.bad_date = "Please choose a date from today up to {} days ahead.",
			.bad_form =
				"Something was missing or not quite right. Please check and try again.",
			.no_case = "There are no reminders to pause on your account right now.",
			.dispute_dup = "This invoice is already under review ({}).",
			.error =
				"Sorry, something went wrong on our side. Please try again in a moment.",
			.expired_h = "This link has expired",
			.forged_h = "We could not verify this link",
			.refused_p =
				"For your security, payment links only work for a limited time. "
				"Please contact us at {} and we will gladly help.",
			.refused_nosupport =
				"For your security, payment links only work for a limited "
				"time. Please contact us and we will gladly help.",
			.too_many = "Too many requests. Please wait a minute and try again.",
			.support_phone = "Customer support {}",
			.privacy = "Privacy policy",
			.prefs_h = "How we contact you",
			.prefs_p = "Choose what we may send you. Your choices apply from now on.",
			.stop_legend = "Stop messages",
			.stop_email = "Stop reminders by email",
			.stop_sms = "Stop text messages",
			.email_stopped = "You will not receive reminders by email.",
			.sms_stopped = "You will not receive text messages from us.",
			.quiet_legend = "Quiet time {}",
			.quiet_p =
				"Days and times when we must not contact you, in your time zone ({}).",
			.quiet_max = "You can block up to {} hours a week.",
			.quiet_from = "From",
			.quiet_to = "Until",
			.quiet_now = "Now blocked: {}",
			.quiet_clear = "Remove my quiet times",
			.prefs_btn = "Save my choices",
			.prefs_ok = "Thank you. Your choices are saved and apply from now on.",
			.quiet_long = "That is more than {} hours a week. Please choose less time.",
			.days = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"},
			.html_lang = "en",
		},
	[PAGE_KO] =
		{
			.lang = "ko",
			.title = "{} 고객 페이지",
			.hello = "{}님, 안녕하세요.",
			.intro =
				"고객님 계정의 연체 내역을 안내해 드립니다. 확인해 주셔서 감사합니다.",
			.contact = "안내 수신처: {}",
			.th_invoice = "청구서",
			.th_due = "납부 기한",
			.th_amount = "금액",
			.total = "연체 금액 합계",
			.late_fee = "연체료",
			.with_fees = "연체료 포함 합계",
			.pay_now = "지금 납부하기",
			.under_review = "검토 중 ({})",
			.nothing_due = "현재 연체된 금액이 없습니다. 감사합니다.",
			.promise_h = "납부 예정일 알려 주기",
			.promise_p = "납부하실 날짜를 선택해 주세요(오늘부터 {}일 이내). "
				     "그때까지는 안내를 보내 드리지 않습니다.",
			.promise_lbl = "납부 예정일",
			.promise_btn = "예정일 확인",
			.promised = "감사합니다. {}까지 납부하신다는 말씀 확인했습니다. "
				    "그때까지는 안내를 보내 드리지 않습니다.",
			.plan_h = "분할 납부 상담 신청",
			.plan_p =
				"한 번에 납부하시기 어려우시면 담당자가 연락드려 납부 계획을 함께 "
				"정해 드립니다. 그동안 안내는 잠시 멈춥니다.",
			.plan_btn = "분할 납부 상담 신청하기",
			.planned =
				"감사합니다. 담당자가 곧 연락드려 납부 계획을 안내해 드리겠습니다. "
				"그동안 안내는 보내 드리지 않습니다.",
			.dispute_h = "청구 내용 이의 신청",
			.dispute_p =
				"해당 청구서와 사유를 알려 주세요. 확인하는 동안 해당 청구서에 대한 "
				"안내는 멈춥니다.",
			.lbl_invoice = "청구서",
			.lbl_reason = "사유",
			.lbl_detail = "상세 내용(선택, 1000자 이내)",
			.dispute_btn = "이의 신청하기",
			.reasons = {"알지 못하는 청구입니다", "이미 납부했습니다",
				    "금액이 잘못되었습니다", "서비스에 문제가 있었습니다", "기타"},
			.disputes_h = "이의 신청 내역",
			.dispute_on = "청구서 {}",
			.opened = "접수일 {}",
			.resolved = "처리일 {}",
			.status = {"접수되었습니다. 확인 후 안내해 드리겠습니다", "확인 중입니다",
				   "고객님 의견이 받아들여져 청구가 취소되었습니다",
				   "검토 결과 청구 내용이 정확한 것으로 확인되었습니다",
				   "철회되었습니다"},
			.rate_q = "이번 처리 과정에 얼마나 만족하셨나요?",
			.rate_lo = "1 = 매우 불만족",
			.rate_hi = "5 = 매우 만족",
			.rate_btn = "평가 보내기",
			.rated = "평가해 주셔서 감사합니다 ({}/5).",
			.dispute_ok = "이의 신청이 접수되었습니다. 접수 번호는 {}입니다.",
			.rate_ok = "소중한 의견 감사합니다.",
			.bad_date = "오늘부터 {}일 이내의 날짜를 선택해 주세요.",
			.bad_form = "입력하신 내용을 다시 확인해 주세요.",
			.no_case = "현재 안내를 멈출 항목이 없습니다.",
			.dispute_dup = "이 청구서는 이미 검토 중입니다 ({}).",
			.error =
				"죄송합니다. 일시적인 문제가 발생했습니다. 잠시 후 다시 시도해 주세요.",
			.expired_h = "링크의 유효 기간이 지났습니다",
			.forged_h = "링크를 확인할 수 없습니다",
			.refused_p =
				"고객님의 안전을 위해 납부 링크는 일정 기간 동안만 사용하실 수 "
				"있습니다. 도움이 필요하시면 연락해 주세요. 문의: {}",
			.refused_nosupport =
				"고객님의 안전을 위해 납부 링크는 일정 기간 동안만 사용하실 수 "
				"있습니다. 고객센터로 문의해 주시면 기꺼이 도와드리겠습니다.",
			.too_many = "요청이 너무 많습니다. 잠시 후 다시 시도해 주세요.",
			.support_phone = "고객센터 {}",
			.privacy = "개인정보 처리방침",
			.prefs_h = "연락 방법 설정",
			.prefs_p =
				"받으실 안내를 선택해 주세요. 선택하신 내용은 지금부터 적용됩니다.",
			.stop_legend = "수신 거부",
			.stop_email = "이메일 안내 받지 않기",
			.stop_sms = "문자 메시지 받지 않기",
			.email_stopped = "이메일로는 안내를 보내 드리지 않습니다.",
			.sms_stopped = "문자 메시지를 보내 드리지 않습니다.",
			.quiet_legend = "연락 금지 시간 {}",
			.quiet_p =
				"연락을 원하지 않으시는 요일과 시간을 선택해 주세요. 고객님의 시간대({}) 기준입니다.",
			.quiet_max = "일주일에 최대 {}시간까지 지정하실 수 있습니다.",
			.quiet_from = "시작",
			.quiet_to = "종료",
			.quiet_now = "현재 연락 금지 시간: {}",
			.quiet_clear = "연락 금지 시간 모두 삭제",
			.prefs_btn = "설정 저장",
			.prefs_ok = "감사합니다. 설정이 저장되었으며 지금부터 적용됩니다.",
			.quiet_long = "일주일에 {}시간을 넘습니다. 시간을 줄여 다시 선택해 주세요.",
			.days = {"월", "화", "수", "목", "금", "토", "일"},
			.html_lang = "ko",
		},
	[PAGE_JA] =
		{
			.lang = "ja",
			.title = "{} お客さまページ",
			.hello = "{} 様",
			.intro = "お支払い期限を過ぎているご請求をご案内いたします。"
				 "ご確認いただきありがとうございます。",
			.contact = "ご案内の送付先：{}",
			.th_invoice = "請求書",
			.th_due = "お支払い期限",
			.th_amount = "金額",
			.total = "お支払い期限を過ぎた金額の合計",
			.late_fee = "延滞手数料",
			.with_fees = "延滞手数料を含む合計",
			.pay_now = "今すぐお支払い",
			.under_review = "確認中（{}）",
			.nothing_due =
				"現在、お支払い期限を過ぎたご請求はございません。ありがとうございます。",
			.promise_h = "お支払い予定日のご連絡",
			.promise_p = "お支払い予定日をお選びください（本日から{}日以内）。"
				     "それまではご案内をお送りいたしません。",
			.promise_lbl = "お支払い予定日",
			.promise_btn = "予定日を確定する",
			.promised =
				"ありがとうございます。{}までにお支払いいただける旨、承りました。"
				"それまではご案内をお送りいたしません。",
			.plan_h = "分割払いのご相談",
			.plan_p =
				"一括でのお支払いが難しい場合は、担当者よりご連絡のうえ、"
				"お支払い計画をご相談いたします。その間、ご案内は停止いたします。",
			.plan_btn = "分割払いを相談する",
			.planned = "ありがとうございます。担当者より近日中にご連絡いたします。"
				   "その間、ご案内は停止いたします。",
			.dispute_h = "ご請求内容についてのお問い合わせ",
			.dispute_p = "対象の請求書と理由をお知らせください。確認が終わるまで、"
				     "その請求書についてのご案内は停止いたします。",
			.lbl_invoice = "請求書",
			.lbl_reason = "理由",
			.lbl_detail = "詳細（任意、1000文字以内）",
			.dispute_btn = "お問い合わせを送信する",
			.reasons = {"身に覚えのないご請求です", "すでに支払い済みです",
				    "金額が違います", "サービスに問題がありました", "その他"},
			.disputes_h = "お問い合わせの状況",
			.dispute_on = "請求書 {}",
			.opened = "受付日 {}",
			.resolved = "完了日 {}",
			.status = {"受け付けました。確認してご連絡いたします", "確認中です",
				   "ご指摘のとおり、ご請求を取り消しました",
				   "確認の結果、ご請求は正しいものでした", "取り下げられました"},
			.rate_q = "今回の対応にどの程度ご満足いただけましたか。",
			.rate_lo = "1 = 大変不満",
			.rate_hi = "5 = 大変満足",
			.rate_btn = "評価を送信する",
			.rated = "ご評価いただきありがとうございます（{}/5）。",
			.dispute_ok = "お問い合わせを承りました。受付番号は{}です。",
			.rate_ok = "ご意見をお寄せいただきありがとうございます。",
			.bad_date = "本日から{}日以内の日付をお選びください。",
			.bad_form = "入力内容をご確認のうえ、もう一度お試しください。",
			.no_case = "現在、停止できるご案内はございません。",
			.dispute_dup = "この請求書はすでに確認中です（{}）。",
			.error = "申し訳ございません。一時的な問題が発生しました。"
				 "しばらくしてからもう一度お試しください。",
			.expired_h = "このリンクは有効期限が切れています",
			.forged_h = "このリンクを確認できませんでした",
			.refused_p =
				"セキュリティのため、お支払いリンクには有効期限がございます。"
				"お手数ですが {} までご連絡ください。喜んでお手伝いいたします。",
			.refused_nosupport =
				"セキュリティのため、お支払いリンクには有効期限がございます。"
				"お手数ですがお問い合わせ窓口までご連絡ください。",
			.too_many =
				"アクセスが集中しています。少し時間をおいてから再度お試しください。",
			.support_phone = "お客さま窓口 {}",
			.privacy = "プライバシーポリシー",
			.prefs_h = "ご連絡方法の設定",
			.prefs_p = "ご希望のご連絡方法をお選びください。設定は今から適用されます。",
			.stop_legend = "配信停止",
			.stop_email = "メールでのご案内を停止する",
			.stop_sms = "SMSでのご案内を停止する",
			.email_stopped = "メールでのご案内は停止しております。",
			.sms_stopped = "SMSでのご案内は停止しております。",
			.quiet_legend = "連絡を控える時間帯 {}",
			.quiet_p =
				"ご連絡を控えてほしい曜日と時間帯をお選びください（お客さまのタイムゾーン: {}）。",
			.quiet_max = "1週間に最大{}時間まで設定いただけます。",
			.quiet_from = "開始",
			.quiet_to = "終了",
			.quiet_now = "現在の設定: {}",
			.quiet_clear = "設定した時間帯をすべて解除する",
			.prefs_btn = "設定を保存する",
			.prefs_ok =
				"ありがとうございます。設定を保存しました。今から適用されます。",
			.quiet_long =
				"1週間に{}時間を超えています。お手数ですが、時間を短くしてお選びください。",
			.days = {"月", "火", "水", "木", "金", "土", "日"},
			.html_lang = "ja",
		},
	[PAGE_ZH] =
		{
			.lang = "zh",
			.title = "{} 客户页面",
			.hello = "{}，您好：",
			.intro = "以下是您账户中已逾期的账单。感谢您抽空查看。",
			.contact = "我们的提醒将发送至：{}",
			.th_invoice = "账单",
			.th_due = "到期日",
			.th_amount = "金额",
			.total = "逾期金额合计",
			.late_fee = "滞纳金",
			.with_fees = "含滞纳金合计",
			.pay_now = "立即付款",
			.under_review = "核实中（{}）",
			.nothing_due = "您的账户目前没有逾期款项。谢谢！",
			.promise_h = "告知付款日期",
			.promise_p =
				"请选择您的付款日期（今天起{}天内）。在此之前我们不会再发送提醒。",
			.promise_lbl = "付款日期",
			.promise_btn = "确认付款日期",
			.promised =
				"谢谢您。我们已记录您将于{}前付款，在此之前我们不会再发送提醒。",
			.plan_h = "申请分期付款",
			.plan_p = "如一次性付清有困难，我们的专员将与您联系，共同商定付款计划。"
				  "期间提醒将暂停。",
			.plan_btn = "申请分期付款",
			.planned = "谢谢您。我们的专员将尽快与您联系商定付款计划，期间提醒已暂停。",
			.dispute_h = "对费用提出异议",
			.dispute_p =
				"请告诉我们是哪张账单以及原因。核实期间，我们将暂停该账单的提醒。",
			.lbl_invoice = "账单",
			.lbl_reason = "原因",
			.lbl_detail = "详细说明（选填，不超过1000字）",
			.dispute_btn = "提交异议",
			.reasons = {"我不清楚这笔费用的来由", "我已经付过款", "金额有误",
				    "服务出现了问题", "其他"},
			.disputes_h = "您的异议",
			.dispute_on = "账单 {}",
			.opened = "受理日期 {}",
			.resolved = "处理日期 {}",
			.status = {"已受理，我们将尽快核实", "正在核实",
				   "已按您的意见处理，该费用已取消", "经核实，该费用无误",
				   "已撤回"},
			.rate_q = "您对本次处理的满意程度如何？",
			.rate_lo = "1 = 很不满意",
			.rate_hi = "5 = 非常满意",
			.rate_btn = "提交评价",
			.rated = "感谢您的评价（{}/5）。",
			.dispute_ok = "我们已收到您的异议，受理编号为 {}。",
			.rate_ok = "感谢您的反馈。",
			.bad_date = "请选择今天起{}天内的日期。",
			.bad_form = "请检查您填写的内容后重试。",
			.no_case = "您的账户目前没有可暂停的提醒。",
			.dispute_dup = "该账单已在核实中（{}）。",
			.error = "抱歉，系统暂时出现问题，请稍后再试。",
			.expired_h = "此链接已过期",
			.forged_h = "无法验证此链接",
			.refused_p = "为保障您的安全，付款链接仅在一定期限内有效。请联系 {}，"
				     "我们很乐意为您提供帮助。",
			.refused_nosupport = "为保障您的安全，付款链接仅在一定期限内有效。"
					     "请联系我们的客服，我们很乐意为您提供帮助。",
			.too_many = "请求过于频繁，请稍候一分钟再试。",
			.support_phone = "客服电话 {}",
			.privacy = "隐私政策",
			.prefs_h = "联系方式设置",
			.prefs_p = "请选择我们可以向您发送的内容，设置即时生效。",
			.stop_legend = "退订",
			.stop_email = "不再接收电子邮件提醒",
			.stop_sms = "不再接收短信",
			.email_stopped = "我们不会再通过电子邮件向您发送提醒。",
			.sms_stopped = "我们不会再向您发送短信。",
			.quiet_legend = "免打扰时段 {}",
			.quiet_p = "请选择不希望我们联系您的日期和时段，按您所在时区（{}）计算。",
			.quiet_max = "每周最多可设置 {} 小时。",
			.quiet_from = "开始",
			.quiet_to = "结束",
			.quiet_now = "当前免打扰时段：{}",
			.quiet_clear = "清除全部免打扰时段",
			.prefs_btn = "保存设置",
			.prefs_ok = "谢谢。您的设置已保存，即时生效。",
			.quiet_long = "每周超过 {} 小时，请缩短时段后重新选择。",
			.days = {"周一", "周二", "周三", "周四", "周五", "周六", "周日"},
			.html_lang = "zh-CN",
		},
	[PAGE_ZH_HANT] =
		{
			.lang = "zh-Hant",
			.title = "{} 客戶專頁",
			.hello = "{} 您好：",
			.intro = "以下是您帳戶中已逾期的帳單，感謝您撥冗查看。",
			.contact = "我們的提醒會寄送至：{}",
			.th_invoice = "帳單",
			.th_due = "到期日",
			.th_amount = "金額",
			.total = "逾期金額合計",
			.late_fee = "滯納金",
			.with_fees = "含滯納金合計",
			.pay_now = "立即付款",
			.under_review = "查核中（{}）",
			.nothing_due = "您的帳戶目前沒有逾期款項，謝謝您！",
			.promise_h = "告訴我們付款日期",
			.promise_p =
				"請選擇您的付款日期（自今天起{}天內）。在此之前我們不會再發出提醒。",
			.promise_lbl = "付款日期",
			.promise_btn = "確認付款日期",
			.promised = "謝謝您。我們已記下您將於{}前付款，在此之前不會再發出提醒。",
			.plan_h = "申請分期付款",
			.plan_p = "如果目前一次付清有困難，我們的專員會與您聯絡，一起商定適合您的"
				  "付款計畫。在此期間提醒將會暫停。",
			.plan_btn = "申請分期付款",
			.planned =
				"謝謝您。我們的專員會盡快與您聯絡商定付款計畫，在此期間提醒已暫停。",
			.dispute_h = "對費用有疑問",
			.dispute_p =
				"請告訴我們是哪一張帳單以及原因。查核期間，我們會暫停這張帳單的提醒。",
			.lbl_invoice = "帳單",
			.lbl_reason = "原因",
			.lbl_detail = "詳細說明（選填，最多1000字）",
			.dispute_btn = "送出查詢",
			.reasons = {"我不清楚這筆費用的由來", "我已經付過款了", "金額不正確",
				    "服務出了問題", "其他"},
			.disputes_h = "您的查詢",
			.dispute_on = "帳單 {}",
			.opened = "受理日期 {}",
			.resolved = "完成日期 {}",
			.status = {"已受理，我們會盡快查核", "查核中",
				   "已依您的說明處理，這筆費用已取消", "經查核，這筆費用正確無誤",
				   "已撤回"},
			.rate_q = "您對這次的處理結果滿意嗎？",
			.rate_lo = "1 = 非常不滿意",
			.rate_hi = "5 = 非常滿意",
			.rate_btn = "送出評分",
			.rated = "感謝您的評分（{}/5）。",
			.dispute_ok = "謝謝您，我們已收到您的查詢，案件編號為 {}。",
			.rate_ok = "感謝您的意見。",
			.bad_date = "請選擇自今天起{}天內的日期。",
			.bad_form = "部分內容缺漏或不正確，請檢查後再試一次。",
			.no_case = "您的帳戶目前沒有可以暫停的提醒。",
			.dispute_dup = "這張帳單已在查核中（{}）。",
			.error = "抱歉，系統暫時發生問題，請稍後再試。",
			.expired_h = "此連結已過期",
			.forged_h = "無法驗證此連結",
			.refused_p = "為了保障您的安全，付款連結只在一段時間內有效。請聯絡 {}，"
				     "我們很樂意為您協助。",
			.refused_nosupport = "為了保障您的安全，付款連結只在一段時間內有效。"
					     "請與我們的客服聯絡，我們很樂意為您協助。",
			.too_many = "您的操作過於頻繁，請稍候一分鐘再試。",
			.support_phone = "客服電話 {}",
			.privacy = "隱私權政策",
			.prefs_h = "聯絡方式設定",
			.prefs_p = "請選擇我們可以寄送給您的內容，設定立即生效。",
			.stop_legend = "取消訂閱",
			.stop_email = "不再接收電子郵件提醒",
			.stop_sms = "不再接收簡訊",
			.email_stopped = "我們不會再以電子郵件寄送提醒給您。",
			.sms_stopped = "我們不會再傳送簡訊給您。",
			.quiet_legend = "勿擾時段 {}",
			.quiet_p = "請選擇不希望我們聯絡您的日期與時段，以您所在的時區（{}）計算。",
			.quiet_max = "每週最多可設定 {} 小時。",
			.quiet_from = "開始",
			.quiet_to = "結束",
			.quiet_now = "目前的勿擾時段：{}",
			.quiet_clear = "清除所有勿擾時段",
			.prefs_btn = "儲存設定",
			.prefs_ok = "謝謝。您的設定已儲存，立即生效。",
			.quiet_long = "每週超過 {} 小時，請縮短時段後重新選擇。",
			.days = {"週一", "週二", "週三", "週四", "週五", "週六", "週日"},
			.html_lang = "zh-Hant",
		},
};

const struct page_text *page_text(enum page_lang lang)
{
	return &texts[lang < PAGE_NLANG ? lang : PAGE_EN];
}

/* Chinese in Traditional script: a Hant script subtag, or a region that
 * writes it (Taiwan, Hong Kong, Macau) with no Hans subtag. s is the whole
 * tag or range, n bytes. */
static int zh_traditional(const char *s, size_t n)
{
	int hant = 0, hans = 0, region = 0;

	for (size_t i = strcspn(s, "-_"); i < n;) {
		size_t k;
		i++;
		k = strcspn(s + i, "-_");
		if (i + k > n)
			k = n - i;
		if (k == 4 && !strncasecmp(s + i, "hant", 4))
			hant = 1;
		else if (k == 4 && !strncasecmp(s + i, "hans", 4))
			hans = 1;
		else if (k == 2 &&
			 (!strncasecmp(s + i, "tw", 2) || !strncasecmp(s + i, "hk", 2) ||
			  !strncasecmp(s + i, "mo", 2)))
			region = 1;
		i += k;
	}
	return hant || (region && !hans);
}

/* The page language of a BCP 47 tag or language range, n bytes: by its
 * primary subtag, and for Chinese by its script. */
static enum page_lang lang_of(const char *s, size_t n)
{
	size_t k = strcspn(s, "-_");

	if (k > n)
		k = n;
	if (k == 2 && strncasecmp(s, "zh", 2) == 0)
		return zh_traditional(s, n) ? PAGE_ZH_HANT : PAGE_ZH;
	for (int i = 0; i < PAGE_NLANG; i++)
		if (k == strlen(texts[i].lang) && strncasecmp(s, texts[i].lang, k) == 0)
			return (enum page_lang)i;
	return PAGE_NLANG;
}

enum page_lang page_lang_of(const char *tag)
{
	enum page_lang l = tag ? lang_of(tag, strlen(tag)) : PAGE_NLANG;

	return l == PAGE_NLANG ? PAGE_EN : l;
}

/* "ko-KR,ko;q=0.9,en-US;q=0.8": the supported language with the highest
 * q (the first of equals), parsed with bounded work (acceptlang.h). */
enum page_lang page_lang_accept(const char *header)
{
	const char *langs[PAGE_NLANG];
	int l;

	for (int i = 0; i < PAGE_NLANG; i++)
		langs[i] = texts[i].lang;
	l = acceptlang_best(header, langs, PAGE_NLANG, NULL);
	return l < 0 ? PAGE_EN : (enum page_lang)l;
}
