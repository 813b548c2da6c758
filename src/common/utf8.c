/* utf8.c: see utf8.h. */
#include "common/utf8.h"

size_t
xt_utf8_seq(const uint8_t *p, size_t n, bool *truncated)
{
	uint8_t		c = p[0];
	uint8_t		lo = 0x80,
				hi = 0xBF;
	size_t		len;

	*truncated = false;
	if (c >= 0xC2 && c <= 0xDF)
		len = 2;
	else if (c >= 0xE0 && c <= 0xEF)
	{
		len = 3;
		if (c == 0xE0)
			lo = 0xA0;
		else if (c == 0xED)
			hi = 0x9F;
	}
	else if (c >= 0xF0 && c <= 0xF4)
	{
		len = 4;
		if (c == 0xF0)
			lo = 0x90;
		else if (c == 0xF4)
			hi = 0x8F;
	}
	else
		return 0;
	for (size_t i = 1; i < len; i++)
	{
		if (i >= n)
		{
			*truncated = true;
			return 0;
		}
		if (p[i] < (i == 1 ? lo : 0x80) || p[i] > (i == 1 ? hi : 0xBF))
			return 0;
	}
	return len;
}
