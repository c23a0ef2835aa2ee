#include "core/i18n.h"

#include <errno.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>

static enum oq_lang current = OQ_LANG_JA;

static bool env_lang(const char *name, enum oq_lang *out)
{
	const char *v = getenv(name);

	if (v == NULL || *v == '\0')
		return false;
	/* only an English locale says English: C, C.UTF-8 and POSIX (what a
	 * fresh Debian has) say nothing about the reader */
	*out = strncmp(v, "en", 2) == 0 ? OQ_LANG_EN : OQ_LANG_JA;
	return true;
}

void i18n_init(void)
{
	static const char *const vars[] = { "LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG" };
	enum oq_lang l = OQ_LANG_JA;

	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		if (env_lang(vars[i], &l))
			break;
	current = l;
	/* Display widths (wcwidth) need a UTF-8 character type whatever the
	 * user's locale is installed or not. */
	if (setlocale(LC_ALL, "") == NULL || strstr(setlocale(LC_CTYPE, NULL), "UTF-8") == NULL)
		setlocale(LC_CTYPE, "C.UTF-8");
}

void i18n_set_lang(enum oq_lang lang) { current = lang; }
enum oq_lang i18n_lang(void) { return current; }

bool i18n_parse_lang(const char *s, enum oq_lang *out)
{
	if (strcmp(s, "ja") == 0)
		*out = OQ_LANG_JA;
	else if (strcmp(s, "en") == 0)
		*out = OQ_LANG_EN;
	else
		return false;
	return true;
}

const char *i18n_lang_name(enum oq_lang lang) { return lang == OQ_LANG_JA ? "ja" : "en"; }

const char *i18n_pick(const char *ja, const char *en)
{
	return current == OQ_LANG_JA ? ja : en;
}

/* Units the probes measure in, with the word each language writes. */
static const struct {
	const char *unit;
	struct bitext word;
} units[] = {
	{ "%", { "%", "%" } },
	{ "bytes", { "バイト", "bytes" } },
	{ "days", { "日", "days" } },
	{ "ms", { "ms", "ms" } },
	{ "packets", { "パケット", "packets" } },
	{ "s", { "秒", "s" } },
};

const char *i18n_unit(const char *unit, enum oq_lang lang)
{
	for (size_t i = 0; unit && i < sizeof(units) / sizeof(units[0]); i++)
		if (strcmp(units[i].unit, unit) == 0)
			return bitext_get(units[i].word, lang);
	return unit;
}

/* errno values with the sentence each language gives them. */
static const struct {
	int err;
	struct bitext text;
} errors[] = {
	{ EPERM, { "操作が許可されていません", "Operation not permitted" } },
	{ ENOENT, { "ファイルまたはディレクトリがありません", "No such file or directory" } },
	{ EINTR, { "中断されました", "Interrupted system call" } },
	{ EIO, { "入出力エラーです", "Input/output error" } },
	{ ENXIO, { "そのデバイスまたはアドレスはありません", "No such device or address" } },
	{ EAGAIN, { "一時的に使えません。もう一度試してください", "Resource temporarily unavailable" } },
	{ ENOMEM, { "メモリーが足りません", "Cannot allocate memory" } },
	{ EACCES, { "アクセスが拒否されました (権限がありません)", "Permission denied" } },
	{ EBUSY, { "使用中です", "Device or resource busy" } },
	{ EEXIST, { "すでに存在します", "File exists" } },
	{ ENODEV, { "そのデバイスはありません", "No such device" } },
	{ ENOTDIR, { "ディレクトリではありません", "Not a directory" } },
	{ EISDIR, { "ディレクトリです", "Is a directory" } },
	{ EINVAL, { "値が正しくありません", "Invalid argument" } },
	{ EFBIG, { "ファイルが大きすぎます", "File too large" } },
	{ ENOSPC, { "ディスクに空きがありません", "No space left on device" } },
	{ EROFS, { "読み取り専用のファイルシステムです", "Read-only file system" } },
	{ ENAMETOOLONG, { "名前が長すぎます", "File name too long" } },
	{ ELOOP, { "シンボリックリンクはたどりません", "Too many levels of symbolic links" } },
	{ EPROTO, { "プロトコルのエラーです", "Protocol error" } },
	{ EMSGSIZE, { "メッセージが長すぎます", "Message too long" } },
	{ EADDRINUSE, { "アドレスは使用中です", "Address already in use" } },
	{ EADDRNOTAVAIL, { "そのアドレスは割り当てられていません", "Cannot assign requested address" } },
	{ ENETDOWN, { "ネットワークが停止しています", "Network is down" } },
	{ ENETUNREACH, { "ネットワークに到達できません", "Network is unreachable" } },
	{ ECONNRESET, { "相手が接続をリセットしました", "Connection reset by peer" } },
	{ ENOTCONN, { "接続されていません", "Transport endpoint is not connected" } },
	{ ETIMEDOUT, { "時間切れです", "Connection timed out" } },
	{ ECONNREFUSED, { "接続を拒否されました", "Connection refused" } },
	{ EHOSTUNREACH, { "ホストに到達できません", "No route to host" } },
};

const char *i18n_strerror(int err)
{
	for (size_t i = 0; i < sizeof(errors) / sizeof(errors[0]); i++)
		if (errors[i].err == err)
			return bitext_get(errors[i].text, current);
	return strerror(err);
}

const char *bitext_get(struct bitext t, enum oq_lang lang)
{
	const char *s = lang == OQ_LANG_JA ? t.ja : t.en;

	if (s == NULL || *s == '\0')
		s = lang == OQ_LANG_JA ? t.en : t.ja;
	return s ? s : "";
}
