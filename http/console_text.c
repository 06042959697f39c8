/* The console's words in en, ko, ja and zh (Simplified), each person's
 * choice; and small text helpers of the worker side. A key without a
 * translation shows as itself (codes such as a case's state). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "console_int.h"

struct row {
	const char *key;
	const char *t[CON_NLANG];
};

static const struct row rows[] = {
	{"lang_name", {"English", "한국어", "日本語", "中文"}},
	{"language", {"Language", "언어", "言語", "语言"}},
	{"set_language", {"Set", "변경", "変更", "切换"}},
	{"nav", {"Console", "콘솔", "コンソール", "控制台"}},
	{"queue", {"Call queue", "통화 대기열", "架電キュー", "呼叫队列"}},
	{"find", {"Find a customer", "고객 찾기", "顧客を検索", "查找客户"}},
	{"disputes", {"Disputes", "이의 제기", "異議申し立て", "争议"}},
	{"logout", {"Sign out", "로그아웃", "ログアウト", "退出"}},
	{"role_agent", {"agent", "상담원", "担当者", "坐席"}},
	{"role_supervisor", {"supervisor", "관리자", "監督者", "主管"}},
	{"role_admin", {"admin", "운영자", "管理者", "管理员"}},
	{"login_title", {"Staff sign-in", "직원 로그인", "スタッフ ログイン", "员工登录"}},
	{"user", {"User name", "사용자 이름", "ユーザー名", "用户名"}},
	{"password", {"Password", "비밀번호", "パスワード", "密码"}},
	{"sign_in", {"Sign in", "로그인", "ログイン", "登录"}},
	{"next_task", {"Next task", "다음 업무", "次のタスク", "下一个任务"}},
	{"due_now", {"due now", "지금 처리", "現在期限", "当前到期"}},
	{"due_later", {"due later", "나중에 처리", "後で期限", "稍后到期"}},
	{"task", {"Task", "업무", "タスク", "任务"}},
	{"due", {"Due", "예정", "期限", "到期"}},
	{"due_utc", {"Due (UTC)", "예정 (UTC)", "期限 (UTC)", "到期 (UTC)"}},
	{"account", {"Account", "계정", "アカウント", "账户"}},
	{"name", {"Name", "이름", "名前", "姓名"}},
	{"overdue", {"Overdue", "연체", "延滞", "逾期"}},
	{"assignee", {"Assigned to", "담당자", "担当", "负责人"}},
	{"claim", {"Claim", "맡기", "担当する", "认领"}},
	{"claimed",
	 {"The task is yours.", "이 업무를 맡았습니다.", "このタスクを担当します。",
	  "任务已由您认领。"}},
	{"reveal", {"Reveal contact details", "연락처 보기", "連絡先を表示", "显示联系方式"}},
	{"customer", {"Customer", "고객", "顧客", "客户"}},
	{"phone", {"Phone", "전화", "電話", "电话"}},
	{"email", {"Email", "이메일", "メール", "电子邮件"}},
	{"case", {"Case", "건", "案件", "案件"}},
	{"case_state", {"Case", "상태", "状態", "状态"}},
	{"invoice", {"Invoice", "청구서", "請求書", "账单"}},
	{"due_date", {"Due date", "납부 기한", "支払期限", "到期日"}},
	{"days_late", {"Days late", "연체일", "延滞日数", "逾期天数"}},
	{"amount", {"Amount", "금액", "金額", "金额"}},
	{"description", {"Description", "내용", "内容", "说明"}},
	{"disputed", {"disputed", "이의 제기됨", "異議あり", "有争议"}},
	{"script", {"Call script", "통화 스크립트", "通話スクリプト", "通话脚本"}},
	{"outcome", {"Outcome", "결과", "結果", "结果"}},
	{"reached", {"Reached", "통화됨", "通話できた", "已接通"}},
	{"no_answer", {"No answer", "응답 없음", "応答なし", "无人接听"}},
	{"promise_to_pay", {"Promise to pay", "납부 약속", "支払いの約束", "承诺付款"}},
	{"dispute", {"Dispute", "이의 제기", "異議", "争议"}},
	{"wrong_number", {"Wrong number", "잘못된 번호", "番号違い", "号码错误"}},
	{"callback", {"Call back at", "다시 전화", "折り返し", "回电"}},
	{"promise_until", {"Pays by (date)", "납부 약속일", "支払予定日", "承诺付款日期"}},
	{"dispute_invoice", {"Disputed invoice", "이의 청구서", "異議のある請求書", "争议账单"}},
	{"dispute_reason", {"Reason of the dispute", "이의 사유", "異議の理由", "争议原因"}},
	{"callback_at",
	 {"Call back at (customer's local time)", "다시 전화할 시각 (고객 현지 시각)",
	  "折り返し日時（顧客の現地時刻）", "回电时间（客户当地时间）"}},
	{"record", {"Record", "기록", "記録", "记录"}},
	{"recorded", {"Recorded.", "기록했습니다.", "記録しました。", "已记录。"}},
	{"timeline", {"Timeline", "타임라인", "タイムライン", "时间线"}},
	{"when_utc", {"When (UTC)", "시각 (UTC)", "日時 (UTC)", "时间 (UTC)"}},
	{"what", {"What", "종류", "種類", "类型"}},
	{"detail", {"Detail", "내용", "詳細", "详情"}},
	{"message", {"Message", "메시지", "メッセージ", "消息"}},
	{"reply", {"Reply", "답장", "返信", "回复"}},
	{"event", {"Event", "이벤트", "イベント", "事件"}},
	{"plan", {"Plan", "분할 납부", "分割払い", "分期计划"}},
	{"call", {"Call", "통화", "通話", "通话"}},
	{"find_hint",
	 {"Account reference, email or phone (exact)", "계정 번호, 이메일 또는 전화 (정확히)",
	  "アカウント番号、メールまたは電話（完全一致）", "账户编号、电子邮件或电话（精确匹配）"}},
	{"search", {"Search", "검색", "検索", "搜索"}},
	{"no_match",
	 {"No account matches.", "일치하는 계정이 없습니다.", "一致するアカウントはありません。",
	  "没有匹配的账户。"}},
	{"pause", {"Pause", "일시 중지", "一時停止", "暂停"}},
	{"pause_reason", {"Reason", "사유", "理由", "原因"}},
	{"pause_until",
	 {"Until (optional)", "종료일 (선택)", "終了日（任意）", "截止日期（可选）"}},
	{"note", {"Note", "메모", "メモ", "备注"}},
	{"resume", {"Resume", "재개", "再開", "恢复"}},
	{"pay", {"Record a payment", "납부 기록", "入金を記録", "记录付款"}},
	{"pay_amount",
	 {"Amount (empty: the rest of the invoice)", "금액 (비우면 청구서 잔액)",
	  "金額（空欄: 請求書の残額）", "金额（留空：账单余额）"}},
	{"queue_empty",
	 {"No task is due now.", "지금 처리할 업무가 없습니다.", "現在期限のタスクはありません。",
	  "当前没有到期任务。"}},
	{"dispute_target",
	 {"Resolution target (days)", "처리 목표 (일)", "解決目標（日）", "处理目标（天）"}},
	{"past_target", {"past the target", "목표 초과", "目標超過", "已超目标"}},
	{"disputes_report",
	 {"Disputes opened in the period", "기간 중 접수된 이의 제기", "期間中に受け付けた異議",
	  "期间内受理的争议"}},
	{"avg_hours",
	 {"Hours to resolve (average)", "처리 시간 (평균, 시간)", "解決までの時間（平均）",
	  "处理时长（平均，小时）"}},
	{"max_hours",
	 {"Hours to resolve (longest)", "처리 시간 (최장, 시간)", "解決までの時間（最長）",
	  "处理时长（最长，小时）"}},
	{"rated", {"Rated", "평가 수", "評価数", "评价数"}},
	{"avg_satisfaction",
	 {"Satisfaction (average)", "만족도 (평균)", "満足度（平均）", "满意度（平均）"}},
	{"total", {"Total", "합계", "合計", "合计"}},
	{"status", {"Status", "상태", "状態", "状态"}},
	{"reason", {"Reason", "사유", "理由", "原因"}},
	{"opened", {"Opened", "접수", "受付", "受理"}},
	{"age_days", {"Age (days)", "경과 (일)", "経過（日）", "已过（天）"}},
	{"resolved", {"Resolved", "해결", "解決", "解决"}},
	{"satisfaction", {"Satisfaction", "만족도", "満足度", "满意度"}},
	{"dashboard", {"Dashboard", "대시보드", "ダッシュボード", "仪表板"}},
	{"from", {"From", "시작일", "開始日", "开始日期"}},
	{"to", {"To", "종료일", "終了日", "结束日期"}},
	{"show", {"Show", "보기", "表示", "显示"}},
	{"funnel",
	 {"Reminders and payments by track, step and channel", "트랙·단계·채널별 안내와 납부",
	  "トラック・段階・チャネル別の督促と入金", "按轨道、步骤和渠道的提醒与付款"}},
	{"track", {"Track", "트랙", "トラック", "轨道"}},
	{"step", {"Step", "단계", "段階", "步骤"}},
	{"channel", {"Channel", "채널", "チャネル", "渠道"}},
	{"reminders", {"Reminders", "안내", "督促", "提醒"}},
	{"sent", {"Sent", "발송", "送信", "已发送"}},
	{"delivered", {"Delivered", "도달", "到達", "已送达"}},
	{"failed", {"Failed", "실패", "失敗", "失败"}},
	{"error_rate", {"Error rate", "오류율", "エラー率", "错误率"}},
	{"opt_outs", {"Opt-outs", "수신 거부", "配信停止", "退订"}},
	{"paid_7d", {"Paid in 7 days", "7일 내 납부", "7日以内に入金", "7天内付款"}},
	{"paid_30d", {"Paid in 30 days", "30일 내 납부", "30日以内に入金", "30天内付款"}},
	{"recovered", {"Recovered", "회수액", "回収額", "回收金额"}},
	{"variants",
	 {"Variants: cases that joined an experiment", "변형별: 실험에 들어간 건",
	  "バリアント別: 実験に入った案件", "按变体：进入实验的案件"}},
	{"experiment", {"Experiment", "실험", "実験", "实验"}},
	{"baseline", {"baseline", "기준", "基準", "基准"}},
	{"cases", {"Cases", "건수", "案件数", "案件数"}},
	{"rate_note",
	 {"Rates per case (delivered: per reminder), 95% interval in brackets.",
	  "비율은 건당(도달은 안내당), 괄호 안은 95% 구간입니다.",
	  "率は案件あたり（到達は督促あたり）、括弧内は95%区間です。",
	  "比率按案件计算（送达按提醒计算），括号内为95%区间。"}},
	{"no_experiment",
	 {"No case has joined an experiment in this period.",
	  "이 기간에 실험에 들어간 건이 없습니다.", "この期間に実験に入った案件はありません。",
	  "此期间没有案件进入实验。"}},
	{"vs", {"vs", "대", "対", "对比"}},
	{"points", {"points", "%p", "ポイント", "个百分点"}},
	{"significant",
	 {"significant at 95%", "95% 수준에서 유의함", "95%水準で有意", "在95%水平上显著"}},
	{"not_significant",
	 {"not significant: the difference may be chance; no variant can be called better yet",
	  "유의하지 않음: 우연일 수 있으며 아직 어느 변형이 낫다고 할 수 없습니다",
	  "有意ではありません。偶然の差かもしれず、どのバリアントが優れているかはまだ言えません",
	  "不显著：差异可能出于偶然，尚不能说哪个变体更好"}},
	{"no_test",
	 {"no test possible (a side has no cases, or both rates are 0% or 100%)",
	  "검정 불가 (한쪽에 건이 없거나 두 비율이 모두 0% 또는 100%)",
	  "検定できません（一方に案件がないか、両方の率が0%または100%）",
	  "无法检验（一方没有案件，或两个比率均为0%或100%）"}},
	{"aging", {"Overdue by age", "연체 기간별 금액", "延滞期間別の金額", "按逾期时长"}},
	{"outbox", {"Outbox", "발송 대기열", "送信キュー", "发件队列"}},
	{"outbox_depth",
	 {"Messages waiting", "대기 중인 메시지", "待機中のメッセージ", "待发送消息"}},
	{"oldest_due",
	 {"Oldest due (UTC)", "가장 오래된 예정 (UTC)", "最も古い期限 (UTC)", "最早到期 (UTC)"}},
	{"agent_activity", {"Staff activity", "직원 활동", "スタッフの活動", "员工活动"}},
	{"claims", {"Claimed", "맡은 업무", "担当", "认领"}},
	{"calls", {"Calls recorded", "기록된 통화", "記録した通話", "已记录通话"}},
	{"payments", {"Payments", "납부 기록", "入金記録", "付款记录"}},
	{"investigation", {"Investigation", "조사", "調査", "调查"}},
	{"take_on", {"Take it on", "담당하기", "担当する", "负责处理"}},
	{"add_note", {"Add the note", "메모 추가", "メモを追加", "添加备注"}},
	{"resolve", {"Resolve", "처리 완료", "解決する", "处理结案"}},
	{"resolution",
	 {"Resolution (the customer is told)", "처리 결과 (고객에게 안내)",
	  "解決内容（顧客に通知）", "处理结果（告知客户）"}},
	{"err_resolved",
	 {"The dispute is already resolved.", "이미 처리된 이의 제기입니다.",
	  "この異議はすでに解決済みです。", "该争议已处理。"}},
	{"open", {"open", "접수됨", "受付済み", "已受理"}},
	{"investigating", {"investigating", "조사 중", "調査中", "调查中"}},
	{"upheld", {"upheld", "인정됨", "認容", "已支持"}},
	{"rejected", {"rejected", "기각됨", "棄却", "已驳回"}},
	{"withdrawn", {"withdrawn", "철회됨", "取り下げ", "已撤回"}},
	{"err_login",
	 {"Wrong user name or password.", "사용자 이름 또는 비밀번호가 틀렸습니다.",
	  "ユーザー名またはパスワードが違います。", "用户名或密码错误。"}},
	{"err_throttled",
	 {"Too many failed sign-ins: try again later.",
	  "로그인 실패가 너무 많습니다. 나중에 다시 시도하세요.",
	  "ログインの失敗が多すぎます。しばらくしてからお試しください。",
	  "登录失败次数过多，请稍后再试。"}},
	{"err_csrf",
	 {"This form has expired: reload the page and try again.",
	  "양식이 만료되었습니다. 페이지를 새로 고친 후 다시 시도하세요.",
	  "フォームの有効期限が切れました。再読み込みしてやり直してください。",
	  "表单已过期，请刷新页面后重试。"}},
	{"err_session", {"Please sign in.", "로그인하세요.", "ログインしてください。", "请登录。"}},
	{"err_role",
	 {"Your role may not open this page.", "이 페이지를 볼 권한이 없습니다.",
	  "この役割ではこのページを開けません。", "您的角色无权打开此页面。"}},
	{"err_not_found", {"Not found.", "찾을 수 없습니다.", "見つかりません。", "未找到。"}},
	{"err_method",
	 {"Method not allowed.", "허용되지 않는 방식입니다.", "許可されていないメソッドです。",
	  "不允许的方法。"}},
	{"err_form",
	 {"The form is incomplete or invalid.", "입력이 부족하거나 올바르지 않습니다.",
	  "入力が不完全か正しくありません。", "表单不完整或无效。"}},
	{"err_db",
	 {"The database is not answering: try again shortly.",
	  "데이터베이스가 응답하지 않습니다. 잠시 후 다시 시도하세요.",
	  "データベースが応答しません。しばらくしてからお試しください。",
	  "数据库无响应，请稍后再试。"}},
	{"err_claim",
	 {"Someone else holds this task.", "다른 사람이 맡은 업무입니다.",
	  "他の人が担当しているタスクです。", "此任务已由他人认领。"}},
	{"err_outcome",
	 {"The outcome was not recorded.", "결과가 기록되지 않았습니다.",
	  "結果は記録されませんでした。", "结果未记录。"}},
	{"err_action",
	 {"Nothing was changed.", "변경된 것이 없습니다.", "何も変更されていません。",
	  "未作任何更改。"}},
	{"err_date",
	 {"Give a date from today within the promise horizon.",
	  "오늘부터 약속 가능 기간 안의 날짜를 입력하세요.",
	  "今日から約束可能な期間内の日付を入力してください。",
	  "请填写从今天起在承诺期限内的日期。"}},
	{"err_no_case",
	 {"The account has no open case.", "진행 중인 건이 없습니다.", "進行中の案件はありません。",
	  "该账户没有未结案件。"}},
	{"policy", {"Policy", "정책", "ポリシー", "策略"}},
	{"policy_in_force",
	 {"Policy in force", "적용 중인 정책", "適用中のポリシー", "当前生效的策略"}},
	{"policy_source",
	 {"policy.json as loaded", "불러온 policy.json", "読み込まれた policy.json",
	  "已加载的 policy.json"}},
	{"templates", {"Templates", "템플릿", "テンプレート", "模板"}},
	{"policy_reload_how",
	 {"Nothing is put in force here. To use a policy, replace the file and reload:",
	  "여기서는 아무것도 적용되지 않습니다. 정책을 쓰려면 파일을 바꾸고 다시 불러오세요:",
	  "ここでは何も適用されません。ポリシーを使うにはファイルを置き換えて再読み込みします:",
	  "此处不会生效任何内容。要使用策略，请替换文件并重新加载："}},
	{"policy_check",
	 {"Check a candidate policy", "후보 정책 검사", "候補ポリシーを検査", "检查候选策略"}},
	{"policy_text", {"Policy (JSON)", "정책 (JSON)", "ポリシー (JSON)", "策略 (JSON)"}},
	{"policy_file", {"or a file", "또는 파일", "またはファイル", "或文件"}},
	{"policy_days",
	 {"Days to simulate", "시뮬레이션 일수", "シミュレーション日数", "模拟天数"}},
	{"policy_simulate",
	 {"Check and simulate", "검사 및 시뮬레이션", "検査してシミュレーション", "检查并模拟"}},
	{"policy_ok",
	 {"The candidate policy is valid.", "후보 정책이 유효합니다.", "候補ポリシーは有効です。",
	  "候选策略有效。"}},
	{"policy_diff", {"What it would change", "달라지는 점", "変わる内容", "将会改变的内容"}},
	{"policy_chart",
	 {"Messages per day where the policies differ", "정책이 다른 날의 일별 메시지",
	  "ポリシーが異なる日ごとのメッセージ", "策略不同之处的每日消息数"}},
	{"current", {"In force", "현재", "現行", "当前"}},
	{"new", {"Candidate", "후보", "候補", "候选"}},
	{"change", {"Change", "변화", "差", "变化"}},
	{"day", {"Day", "날짜", "日付", "日期"}},
	{"after_days", {"Days after due", "기한 후 일수", "期限後日数", "到期后天数"}},
	{"template", {"Template", "템플릿", "テンプレート", "模板"}},
	{"variant", {"Variant", "변형", "バリアント", "变体"}},
	{"accounts", {"accounts", "계정", "アカウント", "账户"}},
	{"moved_within_day",
	 {"messages at another hour of the same day", "같은 날 다른 시간의 메시지",
	  "同じ日の別の時刻のメッセージ", "同日其他时间的消息"}},
	{"no_difference",
	 {"No difference: the same messages on the same days.",
	  "차이 없음: 같은 날 같은 메시지입니다.", "違いはありません。同じ日に同じメッセージです。",
	  "没有差异：相同日期发送相同消息。"}},
	{"sim_busy",
	 {"Another simulation is running; try again shortly.",
	  "다른 시뮬레이션이 실행 중입니다. 잠시 후 다시 시도하세요.",
	  "別のシミュレーションが実行中です。しばらくしてから再試行してください。",
	  "另一个模拟正在运行，请稍后重试。"}},
	{"sim_too_big",
	 {"more than the console simulates; the most days it simulates for this book:",
	  "콘솔이 시뮬레이션하기에 너무 많습니다. 이 장부로 가능한 최대 일수:",
	  "コンソールでシミュレーションするには多すぎます。この台帳で可能な最大日数:",
	  "超出控制台可模拟的范围；此账簿最多可模拟的天数："}},
	{"err_policy",
	 {"The candidate policy has errors.", "후보 정책에 오류가 있습니다.",
	  "候補ポリシーにエラーがあります。", "候选策略有错误。"}},
	{"err_policy_form",
	 {"Paste a policy or choose a file; days from 1 to 90.",
	  "정책을 붙여 넣거나 파일을 고르세요. 일수는 1~90.",
	  "ポリシーを貼り付けるかファイルを選んでください。日数は 1〜90。",
	  "请粘贴策略或选择文件；天数为 1 到 90。"}},
	{"err_too_large",
	 {"The upload is too large.", "업로드가 너무 큽니다.", "アップロードが大きすぎます。",
	  "上传内容过大。"}},
	{"err_sso",
	 {"The sign-in proxy names nobody who may use the console.",
	  "로그인 프록시가 알려 준 사용자는 콘솔을 쓸 수 없습니다.",
	  "サインイン プロキシが示す利用者はコンソールを使えません。",
	  "登录代理给出的用户无权使用控制台。"}},
	{"err_not_paused",
	 {"The case is not paused.", "일시 중지된 건이 아닙니다.", "案件は一時停止されていません。",
	  "该案件未暂停。"}},
};

const char *con_t(enum con_lang lang, const char *key)
{
	if ((int)lang < 0 || lang >= CON_NLANG)
		lang = CON_EN;
	for (size_t i = 0; key && i < sizeof rows / sizeof rows[0]; i++)
		if (!strcmp(rows[i].key, key))
			return rows[i].t[lang];
	return key ? key : "";
}

static const char *const codes[CON_NLANG] = {"en", "ko", "ja", "zh"};

const char *con_lang_code(enum con_lang lang)
{
	return (int)lang >= 0 && lang < CON_NLANG ? codes[lang] : "en";
}

enum con_lang con_lang_parse(const char *s)
{
	for (int i = 0; s && i < CON_NLANG; i++)
		if (!strcmp(s, codes[i]))
			return (enum con_lang)i;
	return CON_EN;
}

static int hexval(char c)
{
	return c >= '0' && c <= '9'    ? c - '0'
		: c >= 'a' && c <= 'f' ? c - 'a' + 10
		: c >= 'A' && c <= 'F' ? c - 'A' + 10
				       : -1;
}

char *con_urldec(const char *s, size_t n)
{
	char *out = malloc(n + 1);
	size_t k = 0;

	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)s[i];
		if (c == '%') {
			if (i + 2 >= n || hexval(s[i + 1]) < 0 || hexval(s[i + 2]) < 0) {
				free(out);
				return NULL;
			}
			c = hexval(s[i + 1]) * 16 + hexval(s[i + 2]);
			i += 2;
		} else if (c == '+') {
			c = ' ';
		}
		if (c < 0x20 || c == 0x7f) {
			free(out);
			return NULL;
		}
		out[k++] = (char)c;
	}
	out[k] = '\0';
	return out;
}

char *con_urlenc(const char *s)
{
	size_t n = strlen(s);
	char *out = malloc(3 * n + 1), *o = out;

	if (!out)
		return NULL;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~')
			*o++ = (char)c;
		else
			o += sprintf(o, "%%%02X", c);
	}
	*o = '\0';
	return out;
}

char *con_query(const struct con_in *in, const char *name)
{
	struct form f = {0};
	const char *v;
	char *out = NULL;

	if (!in->query || form_parse(in->query, strlen(in->query), &f) != FORM_OK)
		return NULL;
	v = form_get(&f, name);
	if (v)
		out = strdup(v);
	form_free(&f);
	return out;
}
