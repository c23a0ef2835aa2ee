#include "core/glossary.h"

#include <string.h>

#include "core/util.h"

static const struct glossary_term terms[] = {
	{ "お客さまID", "customer ID", { { "お客様ID", NULL }, { "お客様 ID", NULL } } },
	{ "作業担当者", "engineer", { { "作業者", NULL } } },
	{ "ゲートウェイ", "gateway", { { "ゲートウエイ", NULL } } },
	{ "インターフェース", "interface",
	  { { "インタフェース", NULL }, { "インターフェイス", NULL }, { "インタフェイス", NULL } } },
	{ "事前共有鍵", "pre-shared key", { { "事前共有キー", NULL } } },
	{ "プレフィックス", "prefix", { { "プレフィクス", NULL } } },
	{ "プロキシ", "proxy", { { "プロクシ", NULL } } },
	{ "資格確認端末", "qualification terminal", { { "資格確認用端末", NULL } } },
	{ "ルーター", "router", { { "ルータ", "ー" } } },
	{ "TLS ハンドシェイク", "TLS handshake", { { "握手", NULL } } },
	{ "立会者", "witness", { { "立会人", NULL }, { "立ち会い人", NULL }, { "立合人", NULL } } },
};

const struct glossary_term *glossary_terms(size_t *n)
{
	*n = ARRAY_SIZE(terms);
	return terms;
}

long glossary_find(const char *s, const struct glossary_term **term,
		   const struct glossary_variant **variant)
{
	long best = -1;

	for (size_t i = 0; i < ARRAY_SIZE(terms); i++) {
		for (size_t k = 0; k < GLOSSARY_MAX_VARIANTS && terms[i].variants[k].text; k++) {
			const struct glossary_variant *v = &terms[i].variants[k];
			for (const char *p = strstr(s, v->text); p; p = strstr(p + 1, v->text)) {
				const char *next = p + strlen(v->text);
				if (v->unless_next && strncmp(next, v->unless_next,
							      strlen(v->unless_next)) == 0)
					continue;
				if (best < 0 || p - s < best) {
					best = p - s;
					*term = &terms[i];
					*variant = v;
				}
				break;
			}
		}
	}
	return best;
}
