/* Unit tests for shared/keys.c. The vectors below were produced once,
 * offline, by independent tools: python3 `cryptography` (keys and
 * signatures for ed25519, sk-ssh-ed25519 per PROTOCOL.u2f, RSA-2048 with
 * PKCS#1 v1.5 SHA-256/512/SHA-1, ECDSA P-256/384/521) and ssh-keygen 9.2
 * (an ed25519 private key file, its `ssh-keygen -l` fingerprint, and an
 * encrypted key). Also a helper mode for tests/integration/test_keys.sh:
 *   test_keys --write-hostkey PATH     (hostkey_load_or_create, prints fp)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto.h"
#include "hostkey.h"
#include "keys.h"
#include "log.h"
#include "t.h"
#include "util.h"

static const char ED_BLOB[] = "0000000b7373682d656432353531390000002051af0f0c71a4e97b72ad9a16e2ee804c3d6672222eb65f0125c591d636c68291";
static const char ED_SIG[] = "0000000b7373682d6564323535313900000040131e54e92b4cfe2ef1141a109b3cdd47054e303d952ee049ed7ea9d33998b77e4952f11393f4ca649ee47392c1eb115cf03a0cf3c98d6bbab973e8571502970e";
static const char SK_BLOB[] = "0000001a736b2d7373682d65643235353139406f70656e7373682e636f6d0000002032c17ea2b48a7ffba7c70199fc732cd13d2f1f24a47349a662eb6b0dbfe65444000000047373683a";
static const char SK_SIG[] = "0000001a736b2d7373682d65643235353139406f70656e7373682e636f6d0000004008127530736d44ecaef1f3d639e281060304f46beec659aede6634c2444811655dd2d2c74c8b5275e742efaae401d3b31c06bf23a0ccabb9fa0ce4aa4affb00f010000002a";
static const char SK_SIG_NOTOUCH[] = "0000001a736b2d7373682d65643235353139406f70656e7373682e636f6d00000040aaeaee04ee0f6f92188b68abdaa66ddadc09b8bbf9eb46e6073d84c1343a47a6b06e8894fc0b7ae28e41499324a7d0f3e9e1fae4dfb10b3d63b5617386c12e07000000002a";
static const char RSA_BLOB[] = "000000077373682d727361000000030100010000010100dca3d66b71f0e9de6ea83f9c7cda264d1336252fc2c7ab71352fec95600d7ae5c14d553b0d9f109488450e855323b668100610a88a4092ff88402e064104a968c7dc61a58c5562a0e8f2e5b763c7450b7fefd2a58fb9d0a2a7ca8b83cae53751d57e39b70574827404b4665f8811cc956f80a48e78f4f3f3cd65b47a883fff2d74cb7cbb293e493eea573798673db7ea8c905751ce7a0bb3a2ca0518fbc3b1e6b3ab252a905f4e35c39ed4f9eabf2171f6e62c8439865c7508aa9de878e6e31dda303615931bb460b2716c86e9cd42e14de3e3d17579a362ec841b8330b86d473ad6e82e73c3665d7268e710677dd803a12d5be9404a37fbbfda68410b311bbb";
static const char RSA_SIG256[] = "0000000c7273612d736861322d323536000001008a50621e8fc81ad32cb3a61a3e9898be7091e56ec70e4e3c162e1ec83655c7bcf0914e8ea6551724ad271d09bac7381a84ad106710c8ad0e26bd9ef29b6108d80bc2c815af53309f570745ac84bd8a9bbfe218c332d26eb0a04afbb4878f2ad2574ac9793fbe42196ec9489df14eedca5c062ce101be97d23d71bd85b03e56afebd56b0ce85f20f6a8d6ce465393de827aa7ef118794917ee3b329b09491becb7cec84443b32117d82635556d81335317bbe5807929075977d456a48d9674f387d930db1557e5b29260e1530068b9874922eb9b30e0701267387b02ba771e375967774c669546ee53bed739c56138f6772f8d4ba5edb56aed73b84547a21b26d";
static const char RSA_SIG512[] = "0000000c7273612d736861322d35313200000100aa29ed7712667debc3591d299e35ffee0e49c3d739f8c44531efdfdbf1e3e76126da3ef337cbc5c5549196f639d5db256d08e5ca7feea6920535b833fcf8e5580d7002423231ff59f228f16d9e43562f661dcec069dfae5d86123e0620f1425f9c823dcfe462353dac469c83b898b3d29b8c69aa1620a5cf8436f0599fb5f90dbbe988d21a0a80f03f520deac0e2233605a0619001b240f2b3c3ca210339b65381644099ffe4f25dd55e195b0c0f382b1c741822c44e51b01cde03704430844e69e6ddaae7ed57b391c781136ac00c9115b90258d144b3623f213e267fcd11d6379f6a36602c98a8b8a75cbd7665acd9d5a0cbbdbb211dc140a5fb3e35576195";
static const char RSA_SIG1[] = "000000077373682d727361000001005b4adf276f299afc4375be95525687d939235a41e316f8932d52b4abd59fdda03ccbd0ec84114b3d876cd03494728edfcf5a2a1103b132cef1764342e418e04f6340ae59641b7e0c08cc3cade8569f15a8bc87ec0d13b8e1bca4a77556f63d7bbfc466a6a8608a4961750803da053e20aabc5ab49f04cf9c9848e57153cd70788cd5da0df7838290e158e82b196be29451d2c9b498c58df21b4438795f68cf9d64b31ff6aed639e697a86afe2eb76ab2bee3dd8abe6028066fbeffa9e9e686102421d3fd19c345d5d1f68ac874acb2053d1c458d8be52d2c5c5d0068875170145b4e8edcbe5970d2f46f54c6473c23fb01b29fcdae9583a0dfbc9d6c73917f3d";
static const char RSA1024_BLOB[] = "000000077373682d727361000000030100010000008100de9c506d15b186661468d6c1af0382e9e36050dc54b39786b5e9752bb1cf38fed726136cd9992daa0f3bd43e5ef8e4434835f44a91a58a2afac47d44c8fdd6c7df0c0c87fe68bef307c3cfc744bdfd7ca93cd20f25afa199989428eeae72dd11c751e71e9fc0355752a8e1bea919be3bfb75fba2779f82f04dd0beebc94e0101";
static const char P256_BLOB[] = "0000001365636473612d736861322d6e69737470323536000000086e69737470323536000000410462eaae942f38087ac85d19764a715c3e110ab6070e79bdee6bbad168161d27e2e3320c51db702739776d77955fb758d3e5660dc52e2a2753bb13fe85584f94c5";
static const char P256_SIG[] = "0000001365636473612d736861322d6e697374703235360000004a0000002100a7091c86aa40195ef4818b7abfdfeb02283cbc72cd0fd6710b8bc9058d0cbfa40000002100f4ddb306ded62e512bea7ebfba8c4080699e4ad19d9ae5c5ad1f0738922fd62a";
static const char P384_BLOB[] = "0000001365636473612d736861322d6e69737470333834000000086e6973747033383400000061044550ec6749eb233249652ad6b6fa5ab7caecc683a70213f2044d020ca460ea42c143835ee5cf188140f069b3c73c439b30ac5c24b1368adb9eda8fb2a6474b13caf48c50304fe756d46dcdd842e0b459c42b02557c0b8d2587ad047aa1d92aed";
static const char P384_SIG[] = "0000001365636473612d736861322d6e69737470333834000000690000003100bacbc7289e9af107ec855d1b90210d31dea76f794c1bf2ec639e77fd53d6a63e4a019292ffcb617593f4e7d58c441892000000302f4570b90c351ca817be01d689a1b291bdf54ab9d9cdd89be9263f46e6abf9989a17c22e6f8ce5ebbdfc710bb0bacdee";
static const char P521_BLOB[] = "0000001365636473612d736861322d6e69737470353231000000086e6973747035323100000085040049a3531d16fcbc64688478638147021258d91adaaa0df840a13a9cac4693bd4b2face6605667647a508a377cae4913eabe14bce7e527be793fa08163b60b953bb00130eb8de1564541bdedba59ae15413a3f98f702e17c3a9d6a57ea0787a20371473e5dc7e37c586d9ffbb8d7b64887e9a8eede08350b65360732960bddcb9c1e0575";
static const char P521_SIG[] = "0000001365636473612d736861322d6e697374703532310000008a0000004158603dee872bbbee0a9dabb146b9f43b0cf75eeb981092d02ad33ff2321a2e7efeb3e3c8edbb285b8ed9ced504adcfb975a65103bdbec4ab411da6fd80be7aee2f000000414d3f7c055e84bdd76bc549cfb18b4399e96c1394f60bcb52f97144ff6136da2af9c9247e244045c1df323ce21df8905cd3be5bda980c0554b0af32961829971c57";
static const char KG_BLOB[] = "0000000b7373682d65643235353139000000207a15bbd369111f61e3b9fd4177b75f0a1fcbb1d07f0e6926f944719d54e68f16";
static const char KG_FP[] = "SHA256:qXnjKeo+ctVL0ZK944kP5aYVVK7T+Zax8PMq6wu1kI0";
static const char KG_PRIV[] =
	"-----BEGIN OPENSSH PRIVATE KEY-----\n"
	"b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n"
	"QyNTUxOQAAACB6FbvTaREfYeO5/UF3t18KH8ux0H8OaSb5RHGdVOaPFgAAAJCYeL5dmHi+\n"
	"XQAAAAtzc2gtZWQyNTUxOQAAACB6FbvTaREfYeO5/UF3t18KH8ux0H8OaSb5RHGdVOaPFg\n"
	"AAAEARLbidvE4CoQts92h9vyfTam6Gi4hOaZ+jlDZA1ILUK3oVu9NpER9h47n9QXe3Xwof\n"
	"y7HQfw5pJvlEcZ1U5o8WAAAAC3Rlc3RAc3NoYm94AQI=\n"
	"-----END OPENSSH PRIVATE KEY-----\n"
	;
static const char MSG[] = "sshbox test message: session id || userauth request";
static const char ENC_PRIV[] =
	"-----BEGIN OPENSSH PRIVATE KEY-----\n"
	"b3BlbnNzaC1rZXktdjEAAAAACmFlczI1Ni1jdHIAAAAGYmNyeXB0AAAAGAAAABDDAcuAre\n"
	"OYmymNRcuDSBdWAAAAEAAAAAEAAAAzAAAAC3NzaC1lZDI1NTE5AAAAIDaCboh0YPoCstWl\n"
	"PfAZfEcDS5KJ/YzwOSrciFOGBm7bAAAAkFranxRzbTkdNIX0WwpLmAx0TVtqjj7155jDdS\n"
	"Dohp60TM5FXeImUxZoGeY+xB9dewsbAkPS2CTbWpaSLNkVhWj1PAtB2jvvZo3xbuOT3ApO\n"
	"DXTw6aT4xlIGJo6ogGOHAGT0r5SUrKxJqYGWTNpL8qh7fGwnIS+RXVkXrZXwJPIxsiEx5F\n"
	"WryJmWlNho6WtvYw==\n"
	"-----END OPENSSH PRIVATE KEY-----\n"
	;

/* RSA-3072/4096 (largest BearSSL verifies) and RSA-8192 (refused). */
static const char RSA3072_BLOB[] = "000000077373682d727361000000030100010000018100c34eafe1d8a50f8d349330c15d5ff2de914b7b76d0f3e495767a4edce6c2f9f61152829b5ecf43587a59a7877c4c290f52bc69418c2a714b920621b4dd42a886435b7968f1407542f5cc51186f10b00d0a2dea949f1e1a76353411310e47d8cf6a9f4ef3d3baeccfa8616f6ca4fbf816f220c7a00e53fb80c1bf30a4b21dbddd39014037ad0d314d1363294c5b2f76f53846d0ded9d4fb7ddf9688df3e839f603953bc6aa52a1c161397b2012a6db9e00821b6f7ae89fbee17d1f32320d7d6181065dfc1fd43cf9adce335b078664ac2eb5128f09469d4ddf35636871d1b6a3152625bfcaa6396cc11d49a9e8b37b5fb12e0fc6ca253634f587df46a2a5420afc74fed3963f2fc1992210ef5743abe2362cbd79fbafe4f7d424822d94eb53688ba7301620d31e6e494342d8ddc67135809cc84bf6b093905e907090deaf6ddfd2ac9892d643b45e548562f2b0d547f3bca4081edea0c1e59b5dac62058094e685db01fe3871054f4ff9612f4bd33ff498f805fee1740a11a3e1047c9f2028097";
static const char RSA3072_SIG512[] = "0000000c7273612d736861322d35313200000180a5644d357948c01877dfa67d37d3555ed427950ea631d523dd6035194c68cfc1ca0e2b0a872e74fa1e94b9e8d49beee701d4420cefc3f7e4b548611d63556dc27690c0d55bd31422e99df30bd2624fdc5d006b2f293c0503147238171896ac8c257c5544640fd497bcfde89a146b6fabc54af03b2d81979923d2f2182663f4a2794ea01e19a97f3f2bce8bf7b620102ae01a6bbcaa7d9b7544adf1257755cfcc48669aa9f42e1cc02a10c9999f98ccd6dbd7204755a3a95462e38a3347e5e87ccf4fd522ce043780b360d23654d93020c802d6744a54e103a2bc73c2e811581c7f6c49f7367ef6c6dea58beddc7e911fee1cc7c84b4c57c1a2e13635a6e9237c66e6d5a1e10822a588d39a52d36ed30cec45284aaebd4cac51aa4bfb1173dc6edcc6c1c32c2283e2cf17900c48691eafd8b81927ec79b064b0b1eeff80fe35724352713dbfe2dd56cf122865b8699fdb5bb6d782de998986f9d4e670a7161640c9d837a57d856976139ecd79a9685851df193f4e90a267cb9ebf742f543233d1";
static const char RSA4096_BLOB[] = "000000077373682d727361000000030100010000020100d5253fd4496c0435baa8c53e55bd9604d697d51682e5f2c74607b5a842ed9a8aeeba01c40ffccdff64266daeed744db26e6acf2baab288b150676496024290d18da473fbf43b41183fcba6299d0a9d52f80ee65f39209783bcd081014e0db546aab69e6adc8fe892ac5781dc16f9b840e60e2796f3c292f2c0478da96b8b2b0065f3f9e5a81c1a6bac21b2e2586e6b4b5bf990fb9b843d9e25a4299b05d26862256c79c470ce01863cb4b32102eae2130f4967a5df2d4828e334a60090aeeeab16ed6425039967513bb498ae3d85bc6263a3ccdc8318a192c6164ad4f1fc13e593af7eb49ea2d4196b06b1e64d6081fa444b117253d5416c80a737a985e70090b8c200e3a194818d1de61902bccaed22ba9cf1d976ffbe634447b644773b5d37c8944b2c335a943317f2e4e8260c38922b713d5c09a3993f4644451fbad218650c73fb5d90fcefdc16b76fec7e04469bc353701792ee2747dbf5ac93b066155172b14979a3e799decc178d9b26ed84bcab3f0cd02f16063e12c1148b9869de96dee8101cea3c97035e49ef8f99869534eeaa8024fb715340b69b54e41fd62b2af320c57eb686b84a05e391b0ad2e6806bb8a160f09ea8f1fe72d3550412e6b871668f8e43d05bcfff7169c2617bc5c9b604e822011f9b6d35654bb32e3b531a82e60d6dc96839acf25c8fac02907073bca84ac586308438aed03de8863673ae1";
static const char RSA4096_SIG512[] = "0000000c7273612d736861322d353132000002007e6e58433b862d30e2b44601a0ca9d1ed0cd0e503f7cefbaf790b6bed30afbe835bdf75ed12e44cd4a5136c8b221e8b04412f82e73b1327a72879b7d2d33ade1e234f647a8cbe959122bb87a83533753c4afb06f54a92c9e78ddae48ddd1a0512f081275641c181cce094c1e2a7d160f3e1e28d715d559d5895473957d69b91cb812c6e31e9ac86866ef76b361d899fbbd6ffb2554c4ebcc35235cf3cd332226f89d194223a03fc586672d846734d817d205d2c8efdb31109c34802d8cacdd9f1cff499a1e67e97becc5eb6ad9f661f1aff05f908ce1b6940dd42c9f59a4c765b7e7aa2c5c3ceb3b736193e5416d4f10019f0ab314763ff56f286669a4c8ad5ea00e31a46a0582f22c8e7a3b4d93322e30a032a0d0422ed6812fd9a54103f395666946cedeea840e6291a4e07b9ffb29814997b9e819526dd773b681dc43cda718e426a1ec118d58680e68d83200c36d1f03cb4f338c062182e15b534231578e1a38f22786b08f6fc8077bf9e456bdccbdda138f1f0633119b9d1128571396e727fb368d4bd19bb92ff5b0e61f87b11e3d7abaf4edebef3f869e2560fa54c0b4f38b5b18a0d3f70dbd065ee774bf82699575a91888e53fd8261420a7abe9465d6fc2f67dd004eec4533cf2f529ed60363282d5b274ef19d0e69e59b477f398fc9c8ce580611fc7e0f2b20fbf5c9731b74d84b4bbd97f4805f99f80628106fc07";
static const char RSA8192_BLOB[] = "000000077373682d727361000000030100010000040100bb4434ff9c59ea08a45ea32c1c651d787dbc0845cac8dd3aa5fda945fdd23b7c87055cbc8ad1af954f56a65207316fb24f2d1e4aadfde33c56082562d479e14cf86da67e3186afd0eaba243cee9a4182c4a57d9698f387a70b625b51e45d8b52e05f73b112a0ffa8b92d5ba321efd6de2929ff00cd0eac009a932d326ad06b9219f903682d03bbc465aef7ba6d8eb96677dd5994a112b5f4d1bbb2969de4bd780c66fe14f8f6c9cca5a307c393f6c82a5485aad2a597cefa3483b591219c049e1e20de63847da2b55bbb11fe9e6bfd80cefdb8b0eb27b90221a2ba4a747a2a8c9d18d6cd07300122438c86cc1c8381a297a35317bf280363e2e10c97fa29b468e19d8ac0c7c807e623d589fe3767ca4f8ff67f4ee7cf94c9d0a28d0e3b7b8e77e23b838d59d83ea64c7641cfb159eb585af5582f0187740969b64071a5252d1c8f3fd631ddbcac3eefe3ed1163f0ac6c52bea504e7255d4386ba4393388baac459536a2627812e4949983c9868e8a9e6f6e666fd6f58f8d94e239181e842062201c5400f136a76ce5efa61bf2b944c770e506fcb4f3f3085dc56d671fc661edd71da834beab629d005385ad8c8aaf994a97f5cf94248e312720cb008e054b6ecee67a20aee0bb30d0c3fa1d549e7ad66275442ce61e9ea1d0b14ba3134ad61d4b6f4341a596a3465e685cde95d28b9feb03adf256ef39f86bfd5d8a3bbf4022a1d3bb8ba6f42fa974cd6f56393ec7631e0481c9dd08b9d67a9859f901baad4952d4767eaf7fbe1595b25408588d114e2015452ca924bfe16d1ecbf5ea16b5774ab4e773b036f81194999eb6886d02d068aa355ea83b8570a2f197b825580d404e0015914f9a03ede1c312b96e7e6432d42e1e5fd8a434713d1d86d2d9cdde98880d9e39132433622d1cc2e89ac9aaf701f50c9965edddaf800d6d7a2f6ba01da65c2eb925c7dd95f3fdde8b65926f2b2560b2cf8974144a1d123542136050854e9c64f137b787713815fa1e78b97fc22adaf27181ee1ba90748bd442a54ea52b230e92782e89c093e54ad087a3a26610dcb1a19de505b9fc456bd9aa775c86c85c4628ad7033998f53bcbfaed3ea291b078b59dd4581bc629c79c10097175f189597c856b550f2f2178d3de8b19690fcac2ffd32e6d6715b07a6c337f8833e43634c920448a9d10e98649dd32e046f3478a7fed6741c46b9f3e5aae8a3a7154999e998407efa1495616aec8022856153fb549d5c14a2afbb282149204f9b98513999aeb37a4a611e247514cbd75116e592ed86c6703fc78d23aae74c90b68b3c8f17d28b14e27a78923b02b713ba59242a3f2afd9e0214962425efdd2569621e1d0f60d115329e270d9ace21eab239e10e048fcbfbb64b5382f57e117fb27398bc5dc5dbb3bd112e8ecc03cb164938ba09395a1094991ff4508fbeac1abda523";

struct vec {
	const char *name;
	const char *blob, *sig;
	enum key_type type;
};

static const struct vec vecs[] = {
	{"ed25519", ED_BLOB, ED_SIG, KEY_ED25519},
	{"sk-ed25519", SK_BLOB, SK_SIG, KEY_SK_ED25519},
	{"rsa-sha2-256", RSA_BLOB, RSA_SIG256, KEY_RSA},
	{"rsa-sha2-512", RSA_BLOB, RSA_SIG512, KEY_RSA},
	{"rsa3072", RSA3072_BLOB, RSA3072_SIG512, KEY_RSA},
	{"rsa4096", RSA4096_BLOB, RSA4096_SIG512, KEY_RSA},
	{"p256", P256_BLOB, P256_SIG, KEY_ECDSA_P256},
	{"p384", P384_BLOB, P384_SIG, KEY_ECDSA_P384},
	{"p521", P521_BLOB, P521_SIG, KEY_ECDSA_P521},
};

static uint8_t blob[2048], sig[2048];
static size_t blen, slen;

static void load_vec(const struct vec *v)
{
	blen = unhex(v->blob, blob, sizeof(blob));
	slen = unhex(v->sig, sig, sizeof(sig));
}

TEST(verify_valid)
{
	for (size_t i = 0; i < ARRAY_LEN(vecs); i++) {
		struct pubkey k;
		load_vec(&vecs[i]);
		int r = pubkey_parse(blob, blen, &k);
		if (r) {
			fprintf(stderr, "  parse failed: %s\n", vecs[i].name);
			CHECK(0);
			continue;
		}
		CHECK_EQ_INT(k.type, vecs[i].type);
		r = pubkey_verify(&k, sig, slen, (const uint8_t *)MSG, strlen(MSG), 0);
		if (r)
			fprintf(stderr, "  verify failed: %s\n", vecs[i].name);
		CHECK_EQ_INT(r, 0);
		/* re-encoding gives the same blob */
		struct buf b;
		buf_init(&b, 0);
		CHECK_EQ_INT(pubkey_to_blob(&k, &b), 0);
		CHECK(buf_avail(&b) == blen && memcmp(buf_rptr(&b), blob, blen) == 0);
		buf_free(&b);
		pubkey_free(&k);
	}
}

TEST(verify_tampered)
{
	for (size_t i = 0; i < ARRAY_LEN(vecs); i++) {
		struct pubkey k;
		load_vec(&vecs[i]);
		CHECK_EQ_INT(pubkey_parse(blob, blen, &k), 0);
		char m[sizeof(MSG)];
		memcpy(m, MSG, sizeof(MSG));
		m[3] ^= 1;
		CHECK(pubkey_verify(&k, sig, slen, (const uint8_t *)m, strlen(m), 0) < 0);
		CHECK(pubkey_verify(&k, sig, slen, (const uint8_t *)MSG, strlen(MSG) - 1, 0) < 0);
		/* every single-bit flip position of the signature blob (one bit per byte) */
		int bad = 0;
		for (size_t j = 0; j < slen; j++) {
			sig[j] ^= 0x10;
			if (pubkey_verify(&k, sig, slen, (const uint8_t *)MSG, strlen(MSG), 0) == 0)
				bad++;
			sig[j] ^= 0x10;
		}
		if (bad)
			fprintf(stderr, "  %s: %d tampered signatures accepted\n", vecs[i].name, bad);
		CHECK_EQ_INT(bad, 0);
		/* truncated and extended signature blobs */
		for (size_t j = 0; j < slen; j++)
			CHECK(pubkey_verify(&k, sig, j, (const uint8_t *)MSG, strlen(MSG), 0) < 0);
		sig[slen] = 0;
		CHECK(pubkey_verify(&k, sig, slen + 1, (const uint8_t *)MSG, strlen(MSG), 0) < 0);
		pubkey_free(&k);
	}
}

TEST(blob_truncated_extended)
{
	for (size_t i = 0; i < ARRAY_LEN(vecs); i++) {
		struct pubkey k;
		load_vec(&vecs[i]);
		int accepted = 0;
		for (size_t j = 0; j < blen; j++) {
			if (pubkey_parse(blob, j, &k) == 0) {
				accepted++;
				pubkey_free(&k);
			}
		}
		CHECK_EQ_INT(accepted, 0);
		blob[blen] = 0;
		CHECK(pubkey_parse(blob, blen + 1, &k) < 0);
		CHECK_EQ_INT(k.type, KEY_UNKNOWN);
	}
	/* a bad EC point: flip a coordinate bit */
	struct pubkey k;
	blen = unhex(P256_BLOB, blob, sizeof(blob));
	blob[blen - 1] ^= 1;
	CHECK(pubkey_parse(blob, blen, &k) < 0);
	/* curve name mismatch: p256 key blob claiming nistp384 type */
	blen = unhex(P256_BLOB, blob, sizeof(blob));
	memcpy(blob + 4 + 16, "384", 3);
	CHECK(pubkey_parse(blob, blen, &k) < 0);
	/* garbage type name */
	CHECK(pubkey_parse((const uint8_t *)"\0\0\0\3abc", 7, &k) < 0);
	CHECK(pubkey_parse((const uint8_t *)"\xff\xff\xff\xff", 4, &k) < 0);
	CHECK(pubkey_parse(NULL, 0, &k) < 0);
}

/* Random mutations of valid blobs and signatures: never a crash (ASan run),
 * never an accepted signature over the wrong data. */
TEST(mutation_robustness)
{
	uint32_t seed = 12345;
	int accepted_wrong = 0;
	for (size_t i = 0; i < ARRAY_LEN(vecs); i++) {
		for (int it = 0; it < 300; it++) {
			load_vec(&vecs[i]);
			uint8_t *t = (it & 1) ? sig : blob;
			size_t *tl = (it & 1) ? &slen : &blen;
			int nmut = 1 + it % 4;
			for (int m = 0; m < nmut; m++) {
				seed = seed * 1103515245u + 12345u;
				size_t pos = (seed >> 8) % *tl;
				switch ((seed >> 4) % 4) {
				case 0:
					t[pos] ^= (uint8_t)(1u << ((seed >> 20) % 8));
					break;
				case 1:
					t[pos] = (uint8_t)(seed >> 24);
					break;
				case 2:
					*tl = pos; /* truncate */
					break;
				default:
					if (pos < 4)
						t[pos] = 0xff; /* huge length prefix */
					else
						t[pos] = 0;
				}
				if (*tl == 0)
					break;
			}
			struct pubkey k;
			if (pubkey_parse(blob, blen, &k) == 0) {
				/* MSG with a changed byte must never verify */
				char m2[sizeof(MSG)];
				memcpy(m2, MSG, sizeof(MSG));
				m2[0] ^= 0x20;
				if (pubkey_verify(&k, sig, slen, (const uint8_t *)m2, strlen(m2), 1) == 0)
					accepted_wrong++;
				(void)pubkey_verify(&k, sig, slen, (const uint8_t *)MSG, strlen(MSG), 1);
				pubkey_free(&k);
			}
		}
	}
	CHECK_EQ_INT(accepted_wrong, 0);
}

TEST(rsa_policy)
{
	struct pubkey k;
	blen = unhex(RSA1024_BLOB, blob, sizeof(blob));
	CHECK(pubkey_parse(blob, blen, &k) < 0); /* below 2048 bits */
	blen = unhex(RSA8192_BLOB, blob, sizeof(blob));
	CHECK(blen > 1024);
	CHECK(pubkey_parse(blob, blen, &k) < 0); /* above 4096 bits */
	blen = unhex(RSA_BLOB, blob, sizeof(blob));
	CHECK_EQ_INT(pubkey_parse(blob, blen, &k), 0);
	CHECK(!pubkey_sig_alg_ok(&k, "ssh-rsa"));
	CHECK(pubkey_sig_alg_ok(&k, "rsa-sha2-256"));
	CHECK(pubkey_sig_alg_ok(&k, "rsa-sha2-512"));
	CHECK(!pubkey_sig_alg_ok(&k, "ssh-ed25519"));
	slen = unhex(RSA_SIG1, sig, sizeof(sig));
	CHECK(pubkey_verify(&k, sig, slen, (const uint8_t *)MSG, strlen(MSG), 0) < 0);
	/* a SHA-512 signature relabelled as rsa-sha2-256 */
	slen = unhex(RSA_SIG512, sig, sizeof(sig));
	memcpy(sig + 4 + 9, "256", 3);
	CHECK(pubkey_verify(&k, sig, slen, (const uint8_t *)MSG, strlen(MSG), 0) < 0);
	pubkey_free(&k);
}

TEST(sk_touch_policy)
{
	struct pubkey k;
	blen = unhex(SK_BLOB, blob, sizeof(blob));
	CHECK_EQ_INT(pubkey_parse(blob, blen, &k), 0);
	CHECK_STR(k.sk_application, "ssh:");
	slen = unhex(SK_SIG_NOTOUCH, sig, sizeof(sig));
	CHECK(pubkey_verify(&k, sig, slen, (const uint8_t *)MSG, strlen(MSG), 0) < 0);
	CHECK_EQ_INT(pubkey_verify(&k, sig, slen, (const uint8_t *)MSG, strlen(MSG), 1), 0);
	pubkey_free(&k);
}

TEST(cross_type_refused)
{
	struct pubkey ed, p256;
	blen = unhex(ED_BLOB, blob, sizeof(blob));
	CHECK_EQ_INT(pubkey_parse(blob, blen, &ed), 0);
	blen = unhex(P256_BLOB, blob, sizeof(blob));
	CHECK_EQ_INT(pubkey_parse(blob, blen, &p256), 0);
	slen = unhex(P256_SIG, sig, sizeof(sig));
	CHECK(pubkey_verify(&ed, sig, slen, (const uint8_t *)MSG, strlen(MSG), 0) < 0);
	slen = unhex(ED_SIG, sig, sizeof(sig));
	CHECK(pubkey_verify(&p256, sig, slen, (const uint8_t *)MSG, strlen(MSG), 0) < 0);
	CHECK(!pubkey_equal(&ed, &p256));
	CHECK(pubkey_equal(&ed, &ed));
	pubkey_free(&ed);
	pubkey_free(&p256);
}

TEST(names)
{
	CHECK_STR(key_type_name(KEY_ECDSA_P521), "ecdsa-sha2-nistp521");
	CHECK_EQ_INT(key_type_from_name("ssh-ed25519", 11), KEY_ED25519);
	CHECK_EQ_INT(key_type_from_name("ssh-ed2551", 10), KEY_UNKNOWN);
	CHECK_EQ_INT(key_type_from_name("sk-ssh-ed25519@openssh.com", 26), KEY_SK_ED25519);
}

TEST(fingerprint_matches_ssh_keygen)
{
	char fp[64];
	blen = unhex(KG_BLOB, blob, sizeof(blob));
	pubkey_fingerprint(blob, blen, fp);
	CHECK_STR(fp, KG_FP);
}

static char tmpdir[256];

static void write_text(const char *path, const char *txt)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	CHECK(fd >= 0);
	if (fd >= 0) {
		CHECK(write(fd, txt, strlen(txt)) == (ssize_t)strlen(txt));
		close(fd);
	}
}

TEST(hostkey_sign_verify)
{
	struct hostkey hk;
	struct pubkey k;
	struct buf pb, sb;
	CHECK_EQ_INT(hostkey_generate(&hk, "c"), 0);
	buf_init(&pb, 0);
	buf_init(&sb, 0);
	CHECK_EQ_INT(hostkey_pub_blob(&hk, &pb), 0);
	CHECK_EQ_INT(hostkey_sign(&hk, (const uint8_t *)MSG, strlen(MSG), &sb), 0);
	CHECK_EQ_INT(pubkey_parse(buf_rptr(&pb), buf_avail(&pb), &k), 0);
	CHECK_EQ_INT(pubkey_verify(&k, buf_rptr(&sb), buf_avail(&sb), (const uint8_t *)MSG, strlen(MSG), 0), 0);
	CHECK(pubkey_verify(&k, buf_rptr(&sb), buf_avail(&sb), (const uint8_t *)MSG, 3, 0) < 0);
	pubkey_free(&k);
	buf_free(&pb);
	buf_free(&sb);
	hostkey_wipe(&hk);
}

TEST(hostkey_load_ssh_keygen_file)
{
	char path[300];
	struct hostkey hk;
	snprintf(path, sizeof(path), "%s/kg", tmpdir);
	write_text(path, KG_PRIV);
	CHECK_EQ_INT(hostkey_load(path, &hk), 0);
	CHECK_STR(hk.comment, "test@sshbox");
	struct buf pb, sb;
	buf_init(&pb, 0);
	buf_init(&sb, 0);
	CHECK_EQ_INT(hostkey_pub_blob(&hk, &pb), 0);
	blen = unhex(KG_BLOB, blob, sizeof(blob));
	CHECK(buf_avail(&pb) == blen && memcmp(buf_rptr(&pb), blob, blen) == 0);
	struct pubkey k;
	CHECK_EQ_INT(pubkey_parse(blob, blen, &k), 0);
	CHECK_EQ_INT(hostkey_sign(&hk, (const uint8_t *)"x", 1, &sb), 0);
	CHECK_EQ_INT(pubkey_verify(&k, buf_rptr(&sb), buf_avail(&sb), (const uint8_t *)"x", 1, 0), 0);
	pubkey_free(&k);
	buf_free(&pb);
	buf_free(&sb);
	/* readable by others: refused, as OpenSSH does */
	chmod(path, 0644);
	CHECK(hostkey_load(path, &hk) < 0);
	chmod(path, 0600);
	CHECK_EQ_INT(hostkey_load(path, &hk), 0);
	/* encrypted file refused; garbage refused; missing file refused */
	write_text(path, ENC_PRIV);
	CHECK(hostkey_load(path, &hk) < 0);
	write_text(path, "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n");
	CHECK(hostkey_load(path, &hk) < 0);
	/* every truncation of the real file's base64 body is refused cleanly */
	char txt[sizeof(KG_PRIV)];
	const char *end = strstr(KG_PRIV, "-----END");
	size_t body = (size_t)(end - KG_PRIV);
	int accepted = 0;
	for (size_t cut = 40; cut < body - 1; cut += 7) {
		memcpy(txt, KG_PRIV, cut);
		strcpy(txt + cut, "\n-----END OPENSSH PRIVATE KEY-----\n");
		write_text(path, txt);
		if (hostkey_load(path, &hk) == 0)
			accepted++;
	}
	CHECK_EQ_INT(accepted, 0);
	unlink(path);
	CHECK(hostkey_load(path, &hk) < 0);
}

TEST(hostkey_save_load_create)
{
	char dir[300], path[340], pub[350];
	struct hostkey a, b;
	struct stat st;
	int created = -1;
	snprintf(dir, sizeof(dir), "%s/sub/dir", tmpdir);
	snprintf(path, sizeof(path), "%s/ssh_host_ed25519_key", dir);
	snprintf(pub, sizeof(pub), "%s.pub", path);
	CHECK_EQ_INT(hostkey_load_or_create(path, &a, &created), 0);
	CHECK_EQ_INT(created, 1);
	CHECK(stat(dir, &st) == 0 && (st.st_mode & 0777) == 0700);
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
	CHECK(stat(pub, &st) == 0);
	CHECK_EQ_INT(hostkey_load_or_create(path, &b, &created), 0);
	CHECK_EQ_INT(created, 0);
	CHECK(memcmp(a.sk, b.sk, 64) == 0 && memcmp(a.pub, b.pub, 32) == 0);
	CHECK_STR(a.comment, b.comment);
	/* save over it and reload */
	CHECK_EQ_INT(hostkey_generate(&a, "other comment"), 0);
	CHECK_EQ_INT(hostkey_save(path, &a), 0);
	CHECK_EQ_INT(hostkey_load(path, &b), 0);
	CHECK(memcmp(a.sk, b.sk, 64) == 0);
	CHECK_STR(b.comment, "other comment");
	/* .pub line content */
	char line[512] = {0};
	int fd = open(pub, O_RDONLY);
	CHECK(fd >= 0 && read(fd, line, sizeof(line) - 1) > 0);
	if (fd >= 0)
		close(fd);
	CHECK(strncmp(line, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI", 37) == 0);
	CHECK(strstr(line, " other comment\n") != NULL);
	hostkey_wipe(&a);
	hostkey_wipe(&b);
}

static int write_hostkey_mode(const char *path)
{
	struct hostkey hk;
	int created = 0;
	if (hostkey_load_or_create(path, &hk, &created) != 0)
		return 1;
	struct buf pb;
	buf_init(&pb, 0);
	hostkey_pub_blob(&hk, &pb);
	char fp[64];
	pubkey_fingerprint(buf_rptr(&pb), buf_avail(&pb), fp);
	printf("%s %s\n", fp, created ? "created" : "loaded");
	buf_free(&pb);
	hostkey_wipe(&hk);
	return 0;
}

int main(int argc, char **argv)
{
	if (crypto_init() != 0)
		return 2;
	log_init("test_keys", LOG_ERROR, LOG_TO_STDERR);
	if (argc == 3 && strcmp(argv[1], "--write-hostkey") == 0)
		return write_hostkey_mode(argv[2]);
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_keys.XXXXXX");
	if (!mkdtemp(tmpdir))
		return 2;
	RUN(names);
	RUN(verify_valid);
	RUN(verify_tampered);
	RUN(blob_truncated_extended);
	RUN(mutation_robustness);
	RUN(rsa_policy);
	RUN(sk_touch_policy);
	RUN(cross_type_refused);
	RUN(fingerprint_matches_ssh_keygen);
	RUN(hostkey_sign_verify);
	RUN(hostkey_load_ssh_keygen_file);
	RUN(hostkey_save_load_create);
	char cmd[400];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "cleanup of %s failed\n", tmpdir);
	return t_done();
}
