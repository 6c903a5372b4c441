/* Certificates made once by ssh-keygen 9.2 (-s CA -I id -n principals -z
 * serial -V window -O options), shared by test_cert and test_krl. */
#ifndef SSHBOX_T_CERTS_H
#define SSHBOX_T_CERTS_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "authkeys.h"
#include "cert.h"

/* ED_CERT: ed25519 key, ed25519 CA (ca.pub), id "test-id", serial 42,
 * principals alice,bob, valid 2020-01-01..2040-01-01, force-command
 * /bin/true, source-address 10.0.0.0/8,127.0.0.1, no-pty.
 * EC_RSA_CERT: nistp384 key, RSA CA (rsa-sha2-512), "rsa-signed", serial 7,
 * alice, forever. HOST_CERT: a host certificate (RSA key, ECDSA CA).
 * SHA1_CERT: RSA CA signing with ssh-rsa (SHA-1). NOPRINC_CERT: no
 * principals. CRIT_CERT: critical option foo@example.com. CLEAR_CERT: -O
 * clear -O permit-port-forwarding, 2020..2030, serial 5, alice. */
__attribute__((unused)) static const char ED_CERT[] =
    "AAAAIHNzaC1lZDI1NTE5LWNlcnQtdjAxQG9wZW5zc2guY29tAAAAINyXdANmPgVEOttOL0fMDmEQraWMNnmO5A4muwgilKKvAAAA"
    "IGm4fHTf7UZrOQHsLnqWM046Y9fMbrxJL5qGCvkFCfraAAAAAAAAACoAAAABAAAAB3Rlc3QtaWQAAAAQAAAABWFsaWNlAAAAA2Jv"
    "YgAAAABeC+EAAAAAAIOqfoAAAABQAAAADWZvcmNlLWNvbW1hbmQAAAANAAAACS9iaW4vdHJ1ZQAAAA5zb3VyY2UtYWRkcmVzcwAA"
    "ABgAAAAUMTAuMC4wLjAvOCwxMjcuMC4wLjEAAABwAAAAFXBlcm1pdC1YMTEtZm9yd2FyZGluZwAAAAAAAAAXcGVybWl0LWFnZW50"
    "LWZvcndhcmRpbmcAAAAAAAAAFnBlcm1pdC1wb3J0LWZvcndhcmRpbmcAAAAAAAAADnBlcm1pdC11c2VyLXJjAAAAAAAAAAAAAAAz"
    "AAAAC3NzaC1lZDI1NTE5AAAAIKE2/4FboOMfip5JeqSuHdvzUdQmIEwulmLVmB1dPTyhAAAAUwAAAAtzc2gtZWQyNTUxOQAAAEAP"
    "EwjgtD4LKDC9y94bPA2DqQQX8JaTCGtw+7lsWFpfnGVFvFnKx7cCqPnXCsJXi57C/qF5RzvPJwnZYWS/QFsH";
__attribute__((unused)) static const char EC_RSA_CERT[] =
    "AAAAKGVjZHNhLXNoYTItbmlzdHAzODQtY2VydC12MDFAb3BlbnNzaC5jb20AAAAg0AfGxLZANRIygpJCNFF1x9TTIwBZZU1G7LMN"
    "ATMFAwAAAAAIbmlzdHAzODQAAABhBL0XWa12yRhlQBBd8imRBTyN/zElKWzunEqu3EuUxxpSh4wmzqwEE5yxWnfmOAoSmgzAORDg"
    "WLFDss9A8YI+YyiSWcU3aOLzFn07pCloXO0JXCcKroknyMRr/6+01uTfUAAAAAAAAAAHAAAAAQAAAApyc2Etc2lnbmVkAAAACQAA"
    "AAVhbGljZQAAAAAAAAAA//////////8AAAAAAAAAggAAABVwZXJtaXQtWDExLWZvcndhcmRpbmcAAAAAAAAAF3Blcm1pdC1hZ2Vu"
    "dC1mb3J3YXJkaW5nAAAAAAAAABZwZXJtaXQtcG9ydC1mb3J3YXJkaW5nAAAAAAAAAApwZXJtaXQtcHR5AAAAAAAAAA5wZXJtaXQt"
    "dXNlci1yYwAAAAAAAAAAAAABFwAAAAdzc2gtcnNhAAAAAwEAAQAAAQEAwHw0iVp/lcLV+LeQhrElqOS9tj+8N+zz5WmnMrSebnIv"
    "WPaU2mJn6Alw48N/GbzwKs01EkvJdopZjLvKaODEAXfUp+CBkaJcOVKkV6rqg56TzsSW3f2y4wDVLeAgp7xQE1dYaLMSLone3+oM"
    "WjFDzY+rCst8bNBsb/dA91nB1URSqfbER/5p5aWTkNhUnamuYC5CCE+XVDnpaG/EQdopfwnRnAZVFR2f7p71wHyfYA1WbNffeH5l"
    "wctkKEDacu9G3JKi6SzPDYGpl96K+9fJezIMqbrgV0RLqFMJhn77yUT3IhcKlzL4JimIsrDPP1sJyxWzgnlrZvxgI/E9GdNOeQAA"
    "ARQAAAAMcnNhLXNoYTItNTEyAAABAAxdGZPeOeCeBr+wFYHTuKf8dc0kXyjLwDSKEx3XoAqror3528/EZHNkK80XlwdtnSWhQfLB"
    "sRswG8wyQnwwOcBepdOksUvkgTsmUNvBug4ids1tGJnOGhhBuBhZJrHBoFGujWDEx1b0e/GCNaQToUzgirDcFENPTNDpcpvldONc"
    "keS3coRqpaqNKrfXyCzvtbBGDbVtBNtXyblhFhoDCk23gYQMgYqcuDdZ6/9uPYTMu+/PDByMcEkXB9eYfa2fkbKRJNummg1kLDde"
    "wYZxZlWQvKcYk+bfQCjUZjM8QUCc9jzty7GnIy2IkT2c+c+e/Q/RlAdLq4ka1uZb6JIkr/c=";
__attribute__((unused)) static const char HOST_CERT[] =
    "AAAAHHNzaC1yc2EtY2VydC12MDFAb3BlbnNzaC5jb20AAAAgucgT0p//zguClmZpqLsBkVwBj8elsO1YCRlJyKfZOokAAAADAQAB"
    "AAABAQCyfFIkLerwBKLOvFkF+Hew44GqVMwf2cmI8V4roiXGDbKKDlkltmDG7PfzpiWlCiDZZ6QV/npyov2LZuf6ucsgcahzx0A0"
    "Y0fuWPltV7B/IwO+jWaG5KlgJhUmMvVHZBW7AwxuxXF4tBv5ey0KXlC6+ypnnr/r9BLVoUya7UwjdeFopagoee0gBo4kSd+3tJnD"
    "QFmcm0jorEPl6w1D8hHvyh2FbvKLJHYQzO34E4JIvhty//+X5lRnjYy750Hk5yY+U9ufJa7n/Rj3ueEyDpiWXw8DCd2U6cga3SlQ"
    "9DedG3B3Tn1KC1LWcCRVsC4mJJl0Aoj7h34VNCqQR9pNGLxzAAAAAAAAAAgAAAACAAAACWVjLXNpZ25lZAAAABAAAAAMaG9zdC5l"
    "eGFtcGxlAAAAAAAAAAD//////////wAAAAAAAAAAAAAAAAAAAGgAAAATZWNkc2Etc2hhMi1uaXN0cDI1NgAAAAhuaXN0cDI1NgAA"
    "AEEErK75DvFpuo80Xk+ZHl/HwMknQGu3/qrcc7n95GAFIe/VDBAeN3K6Vf8jBQKHmcS6eKh0vaw6v4ggeuIhEadncQAAAGMAAAAT"
    "ZWNkc2Etc2hhMi1uaXN0cDI1NgAAAEgAAAAgT3PM1SRGHoomAbUG0yRR72pTmVu9HACiY/i84CK4niYAAAAgb4EJKZhK1Zlc7J30"
    "bnVrwjEDDhKJSQZu/Qi440YR/sE=";
__attribute__((unused)) static const char SHA1_CERT[] =
    "AAAAKGVjZHNhLXNoYTItbmlzdHAzODQtY2VydC12MDFAb3BlbnNzaC5jb20AAAAgwUOh3X7B+bLGj8e7cv/rDu8a5Rry7gLKnOTu"
    "VZ6yi0cAAAAIbmlzdHAzODQAAABhBL0XWa12yRhlQBBd8imRBTyN/zElKWzunEqu3EuUxxpSh4wmzqwEE5yxWnfmOAoSmgzAORDg"
    "WLFDss9A8YI+YyiSWcU3aOLzFn07pCloXO0JXCcKroknyMRr/6+01uTfUAAAAAAAAAAJAAAAAQAAAARzaGExAAAACQAAAAVhbGlj"
    "ZQAAAAAAAAAA//////////8AAAAAAAAAggAAABVwZXJtaXQtWDExLWZvcndhcmRpbmcAAAAAAAAAF3Blcm1pdC1hZ2VudC1mb3J3"
    "YXJkaW5nAAAAAAAAABZwZXJtaXQtcG9ydC1mb3J3YXJkaW5nAAAAAAAAAApwZXJtaXQtcHR5AAAAAAAAAA5wZXJtaXQtdXNlci1y"
    "YwAAAAAAAAAAAAABFwAAAAdzc2gtcnNhAAAAAwEAAQAAAQEAwHw0iVp/lcLV+LeQhrElqOS9tj+8N+zz5WmnMrSebnIvWPaU2mJn"
    "6Alw48N/GbzwKs01EkvJdopZjLvKaODEAXfUp+CBkaJcOVKkV6rqg56TzsSW3f2y4wDVLeAgp7xQE1dYaLMSLone3+oMWjFDzY+r"
    "Cst8bNBsb/dA91nB1URSqfbER/5p5aWTkNhUnamuYC5CCE+XVDnpaG/EQdopfwnRnAZVFR2f7p71wHyfYA1WbNffeH5lwctkKEDa"
    "cu9G3JKi6SzPDYGpl96K+9fJezIMqbrgV0RLqFMJhn77yUT3IhcKlzL4JimIsrDPP1sJyxWzgnlrZvxgI/E9GdNOeQAAAQ8AAAAH"
    "c3NoLXJzYQAAAQAXayoDzdFki5muzu5cHHIR+sKWRusy9Br7GTYzkh0QMqm2FadvtNT1cHqAVzunV7I1QwH+KkXqhmspf+R+KsFg"
    "V3d+4eMIUK4S1Y4cmyteK7etZU0K2f52pVOWG4xo/asO35Kvszzx2qYhVYVJ5YxZQUJ4PZEGb8AdX3cBrlDLWOixlz4eLDoJYrX4"
    "IMz0pKnKQHoUqKYz5SoUGfcBNAJ47arRt5IOwQaR0wc+u+/Dzkqg8olm14eVYlbU0BHlJcZTAsnTDCSS2Ciu6j8FyVfCJ4TaVjE7"
    "76zECwI64QnAPDETp+3izT7xmIBw9F0r9wguTX5x9ejFtASuG8DKZXsj";
__attribute__((unused)) static const char NOPRINC_CERT[] =
    "AAAAIHNzaC1lZDI1NTE5LWNlcnQtdjAxQG9wZW5zc2guY29tAAAAIETBW+bbUIEMtPd447zNUEzrT01wne2Ijc/qcVeXJALYAAAA"
    "IFm2UlKVSKn/Dr5l7TQRY/S2Q6v+vgsiLVoxxXSF8qgbAAAAAAAAAAEAAAABAAAAB25vcHJpbmMAAAAAAAAAAAAAAAD/////////"
    "/wAAAAAAAACCAAAAFXBlcm1pdC1YMTEtZm9yd2FyZGluZwAAAAAAAAAXcGVybWl0LWFnZW50LWZvcndhcmRpbmcAAAAAAAAAFnBl"
    "cm1pdC1wb3J0LWZvcndhcmRpbmcAAAAAAAAACnBlcm1pdC1wdHkAAAAAAAAADnBlcm1pdC11c2VyLXJjAAAAAAAAAAAAAAAzAAAA"
    "C3NzaC1lZDI1NTE5AAAAIKE2/4FboOMfip5JeqSuHdvzUdQmIEwulmLVmB1dPTyhAAAAUwAAAAtzc2gtZWQyNTUxOQAAAEBqJ/jQ"
    "NIsbB0HSAtvn0eOmjDDq05N09NhYX53dWoHLeLzk7JKGqpoMVE1Y3Ud0xObegl1eioE060em11Zc2jwH";
__attribute__((unused)) static const char CRIT_CERT[] =
    "AAAAIHNzaC1lZDI1NTE5LWNlcnQtdjAxQG9wZW5zc2guY29tAAAAIARqqXuD0JI4P0o4VWTzGuxnx45NyGfewl2yEvxiZ9V1AAAA"
    "ILhRZl1tJ1DTK3spqezzG8netyOVeBY41ZvE8XrPN3SIAAAAAAAAAAAAAAABAAAABGNyaXQAAAAJAAAABWFsaWNlAAAAAAAAAAD/"
    "/////////wAAAB4AAAAPZm9vQGV4YW1wbGUuY29tAAAABwAAAANiYXIAAACCAAAAFXBlcm1pdC1YMTEtZm9yd2FyZGluZwAAAAAA"
    "AAAXcGVybWl0LWFnZW50LWZvcndhcmRpbmcAAAAAAAAAFnBlcm1pdC1wb3J0LWZvcndhcmRpbmcAAAAAAAAACnBlcm1pdC1wdHkA"
    "AAAAAAAADnBlcm1pdC11c2VyLXJjAAAAAAAAAAAAAAAzAAAAC3NzaC1lZDI1NTE5AAAAIKE2/4FboOMfip5JeqSuHdvzUdQmIEwu"
    "lmLVmB1dPTyhAAAAUwAAAAtzc2gtZWQyNTUxOQAAAEDGwd8kQX1oU07NFiXMxUlGtx9YhiJQ1+L/8HiI3a0yvVLV7I4OoEgao4B1"
    "nb5YT71rQwuXSAC1RoubKrs0UV8I";
__attribute__((unused)) static const char CLEAR_CERT[] =
    "AAAAIHNzaC1lZDI1NTE5LWNlcnQtdjAxQG9wZW5zc2guY29tAAAAIAztjSLUzHkxWX/7C9W3P8VpJQUU0hlnU4qDX9ObozF3AAAA"
    "IObC/glGP987NdMRHl8msqJVET8WcEMVDx8FAmvdYcxKAAAAAAAAAAUAAAABAAAACG5vcHR5LWlkAAAACQAAAAVhbGljZQAAAABe"
    "C+EAAAAAAHDb2IAAAAAAAAAAHgAAABZwZXJtaXQtcG9ydC1mb3J3YXJkaW5nAAAAAAAAAAAAAAAzAAAAC3NzaC1lZDI1NTE5AAAA"
    "IKE2/4FboOMfip5JeqSuHdvzUdQmIEwulmLVmB1dPTyhAAAAUwAAAAtzc2gtZWQyNTUxOQAAAEAFIi0M1J0jJq8rj88aHar516KC"
    "NvOcmmw0S82XVqEU1vtbv8NUBSkkiombldo6GXjdFSsXo9mrZtOMSCAdrQII";
static const char CA_PUB[] = "AAAAC3NzaC1lZDI1NTE5AAAAIKE2/4FboOMfip5JeqSuHdvzUdQmIEwulmLVmB1dPTyh";
__attribute__((unused)) static const char CAEC_PUB[] =
    "AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBKyu+Q7xabqPNF5PmR5fx8DJJ0Brt/6q3HO5/eRgBSHv1QwQ"
    "HjdyulX/IwUCh5nEuniodL2sOr+IIHriIRGnZ3E=";

__attribute__((unused)) static uint8_t *decode(const char *b64, size_t *len)
{
	size_t n = strlen(b64);
	uint8_t *out = malloc(n);
	long r = authkeys_b64_decode(b64, n, out, n);
	if (r < 0) {
		free(out);
		return NULL;
	}
	*len = (size_t)r;
	return out;
}

__attribute__((unused)) static int parse_b64(const char *b64, struct cert *c, char *why, size_t whylen)
{
	size_t n;
	uint8_t *b = decode(b64, &n);
	int r = b ? cert_parse(b, n, c, why, whylen) : -1;
	free(b);
	return r;
}

#endif
