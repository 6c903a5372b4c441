/* Unit tests for shared/cipher.c.
 * Known answers: the sealed packets below were computed once, offline, with
 * python3 `cryptography` 48 (AES-CTR, AESGCM, ChaCha20 with a 64-bit nonce
 * and Poly1305 composed as in OpenSSH PROTOCOL.chacha20poly1305) and hmac.
 * The IVs put a counter carry inside the sequence: GCM's 64-bit invocation
 * counter wraps, CTR carries past bit 32 or bit 64 of the block counter.
 * Then: round trips for every cipher/MAC pair and many sizes, single-bit
 * tampering anywhere is refused, and a small throughput print. */
#include <stdlib.h>
#include <time.h>

#include "cipher.h"
#include "crypto.h"
#include "t.h"
#include "util.h"

struct kat_pkt { uint32_t seqnr; const char *plain, *sealed; };
struct kat { const char *cipher, *mac, *key, *iv, *mackey; struct kat_pkt p[3]; };
static const struct kat kats[] = {
	{"chacha20-poly1305@openssh.com", NULL, "5199bef8b7504cfb869d6c7760d77104b5d2a3297d5ee546e4c6c0254d7fc3c51a45beb41f9904316b54281bcbc6bbed136eae41bf0c851d45ab327b11797022", "", "", {
		{0x7, "000000100ac790a6ea3aace8cc22d145a7f79eda",
		 "5475e60b9bec60ef1e91034fb9c44de1f7d97520a13015761f7bec38fd6296a6c6158344"},
		{0x8, "000000300723a3e278d5bec484dbc25a01c5d9f192d136313f93b11e924f2117b65706729f909d172979472ecf5d67db502b88a3",
		 "f5c96cfc45d2ad758c80660fe916539e4218b971aa655a2dfa2f69adf44370ca42986a84a8469b6c4a137cbd229cc00ad2933338523a1a0379f58d6a28ecd13d53393905"},
		{0xffffffff, "000001380b51302801aee35f3811cd0493883ec5d24e4095c9dd2b7a26e55cf1481eb10170ee2b5662875841606b3b30b0fd3be142eb33aad39ea306cf04e71f27b1e88c72aef7027b0b6250aceb00870b740a1d11f6cd962e9503827f79349555d34038cae430996ee21c82c3eab8c7973cf7d1f95eee446751c9b275e9be375cf6fe3958cbe23dc14cc06f8dd2cae8ff4f51f9444c1e17d08383aff50e5557ede3657be3bc5dc79ee2eba2130bd5a018c3ec1e8d773e5f52055384704f936d5ea6543ffc6e19568b6832dd2e73bb83dbeb07665ec677f4c9fa7a9140b231121ba0a96e9dade0bf781d26a7f16af07599137d96ab44353949e4d7a47aec9ddb14b0761dd83ee543cc94588395e28e21a6f6ccad92de8de4634816f41acb760e65197e7941144f1846b994fe6e373f69eaf6dc2173806682ccc787bc",
		 "47da9cf05d3e84a3b65faaa9482530d6608b0ac6421299b8c7d7618e2cac44d5b2f7ef62442520d589704317d39e8fae44af3179f407c176111a3ffe389326b0b0ad03ce71339906e1bd3b93a55b836f977db55197a1114721514b259e6b89dfd0be30a6f2c4c1ef24e84f50cacd53cb2ee173b65477397ee16e640dfb0718974e85f77c9a8edafa917450f02ee7aafd113eb3cbc942da4232aae9f178860bfd33195d92a0c2f32d88fae33d19f76a72986191cf2c489b1df90f2b9f6a0634c12656d7854291970484e90cc5ee870c1716a6db013ffccb984a1ccd97ff915b9c21f85b3e9f37647904427c637b8feeb4da19a2c86a03f9415c7c1618dc909de4b40cb1d0966dd7701f93a12e701455067c70e193b0c5b093b58e118dfac6b3461378b6d2b360dea36b4b5515dde22a68e95e75f284667ab5c24eb0afbeb88737a46bbca20f30e113e56506ef"},
	}},
	{"aes128-gcm@openssh.com", NULL, "d0e079f20a26cfc36194f8fca3c82a0e", "abd6bc04fffffffffffffffe", "", {
		{0x7, "000000100adde50984125cce880f13e2a62dbb03",
		 "0000001037b27f5ae3245a352cf40ef0e47b5741ff4a22c577bd8973ae6e4610a3fe8279"},
		{0x8, "00000030075a29b6e739ed6f8933f18136ed7b30c2e4cc7c74fcf372c2401460c343ac98a94f956f9a886c106b048f55bf75822c",
		 "000000305bf7d6de7eefdb8c93a648e0b5f727ba6cb814fb8f48e2a1879e0f4fe1d0330e212ca89b51e7ce9c6fb0b599f4c3ae52d75ab18bf0a46aa176b99df7c55de604"},
		{0xffffffff, "00000140139da44d72dabdc0ccfcd24fea2e67757f598acc895c6c53c9dcc8e360e0f76825ae550628befc5cc047debb15f8b1298168087b30ec54e0952acf41cbf874eef133c7d64ca4bf39609e8176e16088ca9c588d71f7d8583d65133fe949b2ba06241132d998901ca06a6b9a54f2dcc7b92c71137f37ad538cd2147c8fcfbd11b8664248c2f3c7659a0ca5daa84ab0ddc2e103bbf73d417106f2a9826cb9e7589ac34250d62538988ebb74400203a497f2c6dceaed4341bbf297f600162847d5a9a2b319e14a5804aefeaf624e58d5cadf0b2ae795c13b76adcbffe631eb5caa288b8d5060f4aac8a492af86a488f37243f7106c55d48400eef977021d09acca41bc183b63c0d1b4ce510f675078f5e7a1fd27c25679df224ca630f8d39527616aba5b7162bb0e09bfae2c885c0aa53284b1ba00ecab18e2d96527b2370ac82b94",
		 "00000140066fe22095c89b09fc83485e6b0fa348395e360cd8ec7162e72627e4ec168324c362db557f2e277ab4753177daa7bf0409b0e4c3e5bde7ac4e7e5e473ec2f5fb77d0bd18366008cf5e96653f3e8b24df4576ca07579a24a97024667374df699426b0f6b55116d7661b56044a56429f4ad484193d88b8986c8b5884508fc0d67d503666b518b4de144a05569d68cfe7caafe8d3a5836db93182d3ca170be9f363b2d94c3a7f3e4100788ee1e37cb5947b7f8a164898e63f687a32c3fac70a323a1204463b305f3962550fbebe8593fa78a482793a07d183c186136d84eb7574e236a50dcb0ee6d9192839be261372b6493774d569b33cdcbc018c2d341a9415bd174d328d359636aef2ffd239dcc3bab48761d2d29a48f493c0bcfc74f2b2a458dd5f3636742b26107df907639957bb62e6799d5311de1a55ca0172e5e8a0ad5d01e996f76b1c2fcfdf691b30d5416de6"},
	}},
	{"aes256-gcm@openssh.com", NULL, "082777792a236025c58a9622e96388bb6218489d75c18cfc8ffc934408460c37", "c42334ebfffffffffffffffe", "", {
		{0x7, "000000100adaa8e0648be88170cbb82d8baab398",
		 "000000105108a30f36a52158f7fd7c1805800dcabda17cfb9b2e94fc7c2a589e10307df3"},
		{0x8, "000000300772235417b7ea048645183b1ef39280e3241345d2dba087cd801f877b37862c9df82efebf77c865409e170adf2377f0",
		 "00000030a7731f9e73a22a02cea41ff76971aaf97d1851d2eaaa298e727b29920761e4b1fc8b635342473a55ecfb0622ce06e7f62861b59ed1c52b061d7b6398ea0e559d"},
		{0xffffffff, "0000014013169809de29bc20284409c2fa8e0afd07f97396717455352853c82931e9fbebbfc866d874d77de3ce6e068adca88e1848911d478a2625fc02693129c1808894bd236faa702336988751c35ccdf43cc86ede4cfe0a5d6716f21e414f3cf701dc407bcf2005faafa9533666ef2f04f0ea9676fdcd8d836570fcf2521a70219d48f0e7eb5607075477a97805817331229b224826540f7b5d3b7966ee2572723c116ea2a4bbf619b5867e1764416e8f45b56f39830a011ab1c294cf1bc035955ac144b5401a621503db1edf21872c72b50c3e9de91ee70641bf5a2396b68da8cb39075430df2a535ff31083e7f1ba2cf66ee7913ffc8863c75a0f8174a04015d9ce8c9056a7b7328f87032dad74a73546543789f6c392efcbdadc7296b90547a759f5cb88f5a6135aa08db4c0468bdb240a35fb2a89b0c1f0c371fed93683405ffd",
		 "00000140bc40eb659078a256111464f34a44855c135bbcd83028d4cf89bda3aaf6742ff36b6baf7aff3aa2993ba1d60c81fc16c50e083c8e56a0d678eb6724bf7aa17d85c2a2a18823200c573691d77c45722220901c2f5476fb4b74e52e514ecd5d6d80d7ac5407132d8daa9137e6bc032d35ab6390933b9eea7d1cddba85ddb9df708611b252d39b23beaad4e898e015f79e607df663a99c2d6a9169813631b0f776c51001b8d3fc497d8f4d5b4f6e4911a1d0e48305fa6190c07a444423c36a8e94156f4ebb1431b4fefd0de058712e3c464536799f2bce5a463712275b69f08e8a66441928cfa1f478adf37dfec3bbe54f48370a80ea993203147a16eb559ca67513b87c4ffde9938f3684f50c5ae5a082ed9b9c83ecf378b4e6fb3fac1f26b9ac9f8300305407f53847eb22283d7e27eee9517ec099fc5787217d357b681bbec3a6ae440f284e536b38023c16239a92a3bc"},
	}},
	{"aes128-ctr", "hmac-sha2-256-etm@openssh.com", "f3ef2629f41bdd05e39ff77c6f31b1c4", "7f428140868c2446fffffffffffffffe", "6aa46667e6c4682be53d792129820d2ad95c0ad215d43a8d90f144a5851b2f62", {
		{0x7, "000000100a941f3e5b096e9c7aa93dad8278204e",
		 "00000010e7d67c2695db0d8c8c91859ace9f65ab50c3c1484e7486f4459e1b8153ee3a58957487ba46c0b70a8688b8790277a8ce"},
		{0x8, "0000003007dd30f3e7e7e407658ebcd48363ec41c91a772f3b960d5fd661f8fe6320c3e98907e29478ea4201473136cd4ffe36b4",
		 "0000003062c7fe889363b0873e69a30aaddf958b0c726f180fdccd6af71d9a3c572b6d34caaa20e70c1dc3a2505a33462d1e396c66a02f5e8eef9b47c45f55eb6d83b6cd8cec8659c7164940eda56907e97b0d4b"},
		{0xffffffff, "000001401397391abd03f88b256771fab4ff4cad16c6343190bfd8f457104f33c63fd9a8b4aca9a7e7b3fd8ad592b033246c08cc7648dfa01ea8de218b235a114f646d7bd4844dd90549a8bd1409ac8f561d7e5e8ff7e6461811c2cb3f2e4f1faeb6154e2107f0b1e71e7d1dde45130c64a1aa5719fead7e9e81d40f0a65a5f34809514cc9dd5916ba017c05b938377edf354a4f9033f9084cb1696227f5a7e9f3e3434cf5805497c6984e67974e6801321f379cdddea33c93ebd22a354701b4171096eb31dca0fc5bc2ad1c40f817b099622d7dd6a6d6185a31e979b95ab7d6742d2c1abdeb54ac199a9dc4d7fc76e0eea81ca52f835b46c06e75e48b60dfe0a9d327e026da73e1ac97e8fd8daeca574fed430c8377e4473eb9033cb506027a5dc0aa46b90685062cb7d250e9584fc2298921ea4939b9f1ca9813af535576c6ad61ab78",
		 "00000140407472c1a12d615ef07b1ac6b581538f7950f5559ed6dad6a58aea427e799adafdb29b7dfa6f1dcdb63c3dbc33a9533f5f053084676ca430506898108a215ed3e231675fa6913a4ef8a68ff73f18b148cae815efc3c265c68209c9077bc6bd54e742f7a9faf6bedb5226f0f3d4fbb4fcfd03dd193057ba614948ff3cea0d88abefa2c6f16745de661572c8f94a838759711595026c4a443b1586a3dc00b54360d0a6fd154d920bba130ac788f984fe22cde77c919db44dddd08ae0a0801a6c799cd149aed5bb072fd54357a35bdac2bdc96e9e9c2125ffb13d66475492d76dbe623e176bfa23ddf331a282cf942324df95384bd88afd5c3a97257ab0fd15b23820dca5da37eeff9262d3c2b0d3b518b55b2e4d030f94b69e9e2d49bbc1c0584b7bbc970c5744d42e366a50b2552feba4a8618655608c4e5965d20b53163e2d23251c1774503df301e59067ac6cf1df2f171ba225d1a151dc49842691e729f13e"},
	}},
	{"aes128-ctr", "hmac-sha2-512-etm@openssh.com", "f7f7af6153148b4f7eba9c3753aec672", "59e5bc1901e3c91240ddb355fffffffe", "c31f78d8fcb0da3f6a5f00ae365b3668503b4e5f8b23bbe13601ef79e1d704e0f728dccd647244897659f82e660af11839eed1c00f3e734014250c7d9cbfeb2b", {
		{0x7, "000000100a3da168c7b067fc4e97bf547cc0c622",
		 "000000109bff3f69c679130460d925341b1a47051b6abf2fdbb27ab0c02220787178b8f15bc24d0d23a3b8357711b9f3b1a933c2e72cbfa3839bad17f2977ed79104d6e1e2df78dbc1bb927640cda03e7ac5a95e"},
		{0x8, "00000030074ec0db8db179ed21e72cfd01e8b5b0159da93df0cde0418d29008ce41c9df79d7e46af7c3f09c4d4ea10bb9b4c5f2f",
		 "00000030e3755096bd2e9a65db9f27c8aab12ac0ca4524089d6984db5525a6b487b77378a6e603d5858ffc55b2e5b428ffe6992e8d8c4363b172c0676341468e31e1baf31ae7262e56f9e80ca02de3da3f527e57a52db9a09d11c0b6a4aac185d1109deeea0b527c26c9293f55225d47c2f44b70"},
		{0xffffffff, "000001401360c74aea3e3a83e7c717c89c6b510e4173f52c6cefb178560d69f20b862f4185343c40ec07f9c921a637090dd205764a28f016dfc691d8b4ded6b37216ba1b9dfa9392fb3739672607491351967208c7b98713244e5b45c5e79f8077235b9f82a4a8673de23796f93b45e5b8676f6e60ea0ed9a1b43f6558d02743a06a99ee6ca9b3f43363b351bf7520f89c15ccaa383294dc37bd0293681b1bd65574e1558f7a98a0d22acfdc09575a5dccdc36a2b3b922e904a1402c69da880bfa23878ee483f9d80aaddfd1ca21da78acb1dc5ac19a0d80f315d171c46a1353c18ae3295f1e555e4918a9c4b42b0915160b58bdbd7d08c251d94c93bd46c1d4a6351d9ec15c3fdff47d4960760995cd9c0ec8f64b7ff688eeca7133685a6de646ebf28f7cf4d4a51c22f8e5a8bd4265c6db69848e4aa8c4e06c74380d09d70fe640f25f",
		 "000001402b16a0b3db50cc2f5877c4b1405e90213c5403bd90171b8080edfd7fc2b3f48b3bc9c8595be1d4dc71d5de7487dd13b28c7de9e35781f33ce5938c0ee065e8943fe461c739a347b0aa42cd5bd3a29fbf0c152eb3934ca31acc0b47167dc30c41f7342953b2e378151b1ed568b27a81524d0aec849a7eec3d2478c737376ef1058851acffc4cac87e654291f8876a1d4f1d89bae7388f5bda880b66c41c6cf5c7555e933aec965d556457cbd296aa9ed17daa1f95d8f263bee325c80ec49645a9c06dd843d60cd906f6f076449b63a6bf8d9cb0313de63ff38b3feff7df640ecb45d071de48116108ea734d634ed40933bf2c8a7e0701352ac59cbccca9d5d2628c141bd3c6efcfa9c12ab36e0c8ccdab3a0fd54cd2462f6044bda41da206387dcabf7f6352e004ad8246d00d310a5dcbf61c066d0d6558fe552e7778b2fdebe69427ed5aa509e5fa5e9e38177cfc32097f50294c2cee196ad4ddec92b9a850d2756a87c174747cdb618e8be4835b50e8b1875c373032594228362b460c178b83"},
	}},
	{"aes128-ctr", "hmac-sha2-256", "77eeb6da5e2268261ca80510568cd7f3", "ab50cf54f3a203c6fffffffffffffffe", "620f0182b6f39167b05728d49dfbf4a56827927d5c8b2708e09e643028b23eeb", {
		{0x7, "0000000c06214fcb9b121f4c6b5ca21e",
		 "020dd0060f62bb92754ceeaf642e056984e3191a6b369747ad20491002190a82bce2b2e30c01123850e0345ce3e784ae"},
		{0x8, "0000003c13b4988f9a4f9e8314d4921de30c4c168a845f071135036551f3d1660232a4f4635e98249d8565b06bb34c542a0a1e4c07102c287010982f5d1079d6",
		 "c8b3971cdc7f6667dcc21054695bb398b8f3e1238d07a1ecee60c152ee61a530f864d089e0b547a128fef7ee162b27f00fd5375ddcf65abef37326710bb5b71a0cd4689df374722ba19eb13b5225feba3dfc9196977b6cb550f7ad4b11d98de5"},
		{0xffffffff, "0000013c0f3cd23a2e2cf6660015856afa0a2e1d351a19448ff9a8e2cfa1ad8e0f05d95311b1afef4c151c3e9a8f144ba7c044bb4b6c5cd09ff6242f6aa22ec26dbef13fee96a2bb0e7e269e247bb4d55471048de83f046eb35a2db4fea1ab17e3a8396bcf8fe5af9bfa3186fe93c8675cd9bdcfb5505caf2119a2e059ebfd8e3cca2debc937d6fef1ba4147da7b0a2ffcf49884eb7eefc632062895e5b29310b3251c89596e8b0b70b3c8b072248867a6f257b49de7e44bfe83a7293e752d6cfe4830dd60ed55ffd09f3d6ebcd6cc667a00b8f35dd2dc965c94abb7522082516a5c506618768058db045a71e8cde3b0dc495930a2566e66e41eae484a26b28406fa281c6d26d934823325d0d7da6134a56311c5cd3d06ce539efb6720a8fa61c54269fee3c7813ae66b53007383d083c9fdb6697982833c8d87e09b9ec4c692",
		 "b2df1eb799b7b52768bee14e719a20c05f8c2f65f288b17a44c91dcec117a8edb80965b9fb38a47bef03ef980218806edeebacef6eb782b3dddec6b56bbb759a3d31d11d19e2067e9be37f84723497de47e39b23748d0a7d85939b2a514064770d5283734b71b99c3a3ff4d52115f7c80e404b0028dcf02716fd4ac27c14b0db153f8dd3c1274967dda9ab54e223b093e4798afcfb539254cfe554fd80825359fd5535c931281da5865e0f955c7239b1421475e8d82fcff3992f438fbfad2ebcea31e57b9b762512932582d5d5373d25795f9d395214cb109ac58c8788a9e1c7c417b6059f44f9ce3d1ca7eb5756b1b73a37d5a310e26e4f42c3220f23cd7433dae51628cb4516ed339869ead9520fc3a6a3a3aeddf4659ab884110977dd6ce18cdef78c49fd428ec363817ee7b6f8de267abb8030a88cd0946ddbf34144ab8800a80f1f61e1d497ee3cbf32ac957b9346c969e5d8836e710aeb3fc4a29e179a"},
	}},
	{"aes128-ctr", "hmac-sha2-512", "6c8cf9a48a7aacd9ced877164955da68", "0062d86f3f3a1211db35e600fffffffe", "a5429be57f8b7b6c5af09c01e4f74f5f110f8d9dccc0bb3b2eb2c65287be05dbc0f398f2fbee12ebab70c019c96f22be36c29802240c9c27ee20cf3d6c622121", {
		{0x7, "0000000c06949de7563710c55bcf5481",
		 "0aa1dc5782c8ae1cc7165a77232bbc1d53f5adb8e7b8a6b4d3d09f79b47cebb1ce4c43402d4eca9b4bbfeff6eb51c66872693c0ef700d6691cbe0f979b8d189f5616ede543c9b235ec23866b0c785dd3"},
		{0x8, "0000003c1309ca1710e310bbb2dbd40a4ae6668d3b37d60ab666dd97ddfec8dd460097d78b5bc79c8f6fafe9f60ebeaf66509f2d5b7f67ae1cd44f60c93db294",
		 "744e65febefaa2c30cbc81ace59631862811949b92d6e6d5ffca9eb8115c6f2d49da5cceaa09536beaf1aa9c9e44f4e666a2b767c98cff83b20cb96739bd4dc177c5050bf8dc9e4b1e1447bddff62584aa22238dfbc4257e6728199dcd42953ff46942fadded5144abbbf0cb5a33b407ff4566acd96911b5bc3fbbae89446fac"},
		{0xffffffff, "0000013c0f39ce43631f1c4adb236fd0f3ab6b6825cb65fb9c9ca2faf4415039291c55d87f35f642b5def67cfe43f7b78852533291ab043e8f30e665679499260c75a74c5006f3a578da421884bb3d6a1a245b946248459c258b27c160a1ed137acb4722f93188d9b519c21df7d527b549b26a5e912f7150e3b61e0796973a101f4e2e19c705cd36ca533fb8dd00ad60c4ad29413f827751f9c8cb2f0fb9cc49d7a91661b23fcd142eda9585e70e883c06b97ce1c0f6e88512f4033fccc61f30d16d97ecc02269d04a24b657a8161cbb09f3306a620eddf7f2f7182cb292f9ad9ac96eb4e7267dea4a0cc3404b0e10b4979c061d7d621660718d3016abffa493294164560fdd807a2f96283cc8bb3cbab03def8566388d9a2e1e85c8b8fa4846b648ade5a8094c9785f8592a16c6d35bce30ec84c89c5407e62b9591eeae8f24",
		 "ce57406fa32f86c477fb32f7d15801057b740d452576446aad7ac4a631ebc8315af2207f30a0d0f0ebc8ecc4339e15bb51c19793f511df50550885a18d935081cefcbfe7794e15bec348520ad8da932d8f9c21f3fa780981c026cf760067383f1cdaea6890bbde08c53d30781c11d64012e3d806bcd1d2cfa807228a194406d733dadfdc43317132ece56c4c7a514d020e201ee5298fafef2ff5768f884a0a79b3f1236f8668b9bc61cb75aeeedca998fb65d655fc454a49e2c2f4baa98a2c2b27fe95412e79cf4a8e6ad339b751ad93179d862841f30ebb58d854ecb495bd26390f08f1483d69495897d24e742a73a728b0f3859b46284e79962212646a722d980a432477462f7b35bd681e00cecbf6d7e935b70b016425c13409d825d88f40aba92ca23993c5fc5fef73b4298455e8b9e529bedc0c2f0765e69271e040f5cdf463c45b05d361832c7380a6e6265eb336728536721d1a51a7ed0f4c8ff9c2e2968ed16669c9b01e1ae233caf74ca9dfded2ce2e5bbd2610a517aacd703aefb9"},
	}},
	{"aes256-ctr", "hmac-sha2-256-etm@openssh.com", "0e38c5b9547c4fb6ce23eb0356b5d4a1b1ded47991afa7834c52acb56395c25a", "fe925e69650ed556fffffffffffffffe", "777aff40897d68a68c853b586ba8f045393eed7990513d128515354147c0c045", {
		{0x7, "000000100aee55448cad81cf6d794e77ff8d657e",
		 "0000001099f4548ca1235be57bfe8270c3f8a5f8c8597afd902e58ec7d780ca21a3c4a35515609b78a5ee02239126e2a4e51b1e8"},
		{0x8, "0000003007d857060ec1f9d5f3f0e463678d61a925afa052eb324ba73ad812b9770c180fb5a7d8a174e421d78ac3630e67180e1e",
		 "00000030e90f50bb0c4a9f8b8fed2254c70aa61b0fee075d8bbcbd6a5a63ce845505d9bfac88865510187c485bc89a000baf3095237a5ed30860fc729a85333193d8df05ecd367c7b109b039b2052f2d85c6e5c1"},
		{0xffffffff, "00000140133ebf85fe8290a16e9cbe4cb34db242dafe668ba7976529901fd56283b49e8d1f5477992c09eb2b766a5c7fa7f6ab8f7bb419a55c69f69355dff357e150eb7cacad82e6d9246ff832e1b0a699a65ff98f789e0be7af874f40740a0f0b3935b62a80d47197b3842755ad5bbf96c02ff36194fda333ef1ac5008f869a9ea61d75477cd194920a71482a8932b4709300197e4ef93f48ef885082b5bd32edc117414b88dbe8b6a7fd220181ef545ba0522e51d8da17e867bdac31d2f1cbef163422020ca2bc0d1075dfb1f88a059813424131a0a1c007dba8b2608b54ec19dbf716c35f53a9ed22f87649e4fb38bb28832e2f735a1a9194cbcc5686028a4a75ee67dd3ea9ed44c1324cf400b6fddc1ce3950bd9150b892799e9dbfcc60bd74cffb713101579a1f53ffde902346167c6eb0506936dc4c76378f3e0e8c71aa9ddd0d2",
		 "000001401bd0d6a2cf4e390c016882f3d5ffe86024451e30c996c4f2fe420c5bb5b5e1d62776bd1f1aee68b5d99ae3924995b70fd62569a4db732fba00c7841a89d8dc896f94982ad9fe461472af8ad728f52918664bfc7553f553ea8ea00d8d026ef7a16be133f6e36b5447a534ad55a7ba8b525166c0bd7713f6d3a8cd36f7b35ad66b1703671c45a3258fea6b106cec8b2249b3cf24e051ababf3c7e18b76a06d66f1399d9d43f22704b7cd52088753958cd4778fe15605cd545dd08a4dd59eb4ea72d55ad08a06009f6e69a2ea339a072b0986155230c6c3b72e665c1e51404c8de42c78beb39a2b80cc362d79a5c4b2af2bdd53fc4adc1f7583f77f734a0696b2f181b2a9b7d0365a7d94c2ca8c60dabfeb33e1c5159b259c3d3d27f99aaa52a2544fdd7aa5cff2301686dc99c8264e1eb75553c0dc66d588984584dfccc92c5ca3f95530aba248cf03f733ccbff90bf23b086dd7b1200c2133dbf971bf6a68a3d7"},
	}},
	{"aes256-ctr", "hmac-sha2-512-etm@openssh.com", "0504d4fbb7a2dcb40cec591f35e5ba83f462595e7352062e29621077484156bf", "9f95d6fb96a43b289ab5c1e6fffffffe", "143516633cc0b841986b210eb407877016f7e35b60a2b36792824088fc8f5f8dcacb7c3576d54b4e590076828ac93e63a0a896a12ce82a7605ff6927500856fc", {
		{0x7, "000000100a1c39d186dd7c826f2884d034126463",
		 "0000001067153cad5f6b9a47093ae81f7495de4c448854071dffe457facde4e24dd23e9438d4cfdca96bd58fb50ac06f0f48f9fc70d8f2c23ffa914218499116981a8481f4ba6931e16d3679a117cb6783c503a3"},
		{0x8, "00000030072abbce0a950d6c85af8fb1dd4f7d91c59e4817a778ac91c8148147c29b1b7a32585ed8d27ce6807370e149e3005cbc",
		 "000000305120aae4d46f7299a25789c347d1c08b7b3879a04a5a463a9b470fe9b4a470986f0188c109f4992b4e74e623f677a055496c0e6913626a2a829a9e6787da65b7b55f8b31c922ff957ef6b07477d81271068a400408b32ff22a4c371005af8555dc1849961b89cbd2787518cce76049de"},
		{0xffffffff, "00000140138092371072128309d63fd3996a885582111c15bdd6fe91128820a32387e2ac9094c960e14d12223ed3b6c3cc8b5e7a2d34deaa346f75b5d29e42a0952bc6c1804cebc1e93b39c131c282a05cc1d5322e64519f128081b5df69e56b1e958afad4b89d49f49187cb697f16c6c419b7aa8545a3aa1d914d9341d806d9003fb1cf05c504a77da555dbb5a284924a1d1568b7c562b6718d7d380b05d3c6f9c8647ab2ea46176dd8fc91e5755e2c42994954077b0caf68c3e1ebcb8aefad6b9d4c806301c94a2979eea83274cfde16246664ff026333865d81368b766f63aa6e5bb404770f13ef0bfd423af253ae7729a1aef64e91bf38567ee9553447139f171f5dc9b24b9f8b787fcc6c656455eebc03b8c20626b3c7d8d1c6e91e6d9afabbfa784f312addb5d74fc0fba2014ba8607b7dc4e0e2b3efa668ca4341a00fdff2c5be",
		 "0000014087d57798ea4377eafa316a62261522a304ec65efd26405455ad315e94c0c34cf605a4847885b36c60161e652effa9d3d7815758f3c24c2031ebff51e04e52a7fb8fccb684c6db324eb52363ae39584d419ddea5a5f11cb4333eddc2bc637d2b4d15c39c379e1bc30c5eb660c1e25946c880d879c7c7f759f9f5fc26bd5d25e45232f752a6ee74d305513de2648a44994013379537f1316a814828423e123fee0f25e0ee928321dda298226f828f52b6a46a3e37988ac4935e17c10bb28c8d3bf99489345019eadbbad43e081dd6da3cfc0143f456d61988541746b629ffad52b89b19935e9dcbf5d98b44128876d42ab21917109c0bf9c78da9261d39fc20f1bf283f62079c40ca0b3021a65b1d400d31ad40c1d935370d8785a31e8ca497ef6ee55add5ac5166a0bdcd429722db326297bafff4d6c77cc070743ef2d0820b4e8b1950af14b62f121bd4317f49234e0dfa6c957a9d7d06eb1cc56214fb0d7d80ab47e49e1753352be75cf9d7e882c2029cc55b024729e6194a1670e25011919e"},
	}},
	{"aes256-ctr", "hmac-sha2-256", "5f9cb9895aefa56e1f58c296e01ea74bbd9608d9b36fa9eba9264da5f72d567e", "48dbd8da80fc706cfffffffffffffffe", "98825e91d1251fd7f90b1e0a8c495856c3db97f40fd59c07322a3f5e1d748b18", {
		{0x7, "0000000c061d741ce24531e280fcf0cd",
		 "c4c2734f88f61dac4f564d4295c40f8a02f89f2948ab7f382d988e0abb8ebfb5654d94f58d58dee0bdaa41e6123b78ce"},
		{0x8, "0000003c131ce0738627c7d7eb821f73f87daa4e0f1285013cbf718bea100d45016774f5df25f0ae34bc9d88473b6830715fe2b551a1f84f445baa8982ff14d8",
		 "41d7430670a7f3d31b80cfdadd14aff3937d4c644a9f89910948acdad5670399d06c2d9719dbfd0b42e53ca1b873b99568090ae2f53fd4c7e5e56abe6fff3fb83e9bc112656b2ffce8f103cbf9115887701191221778a81bb3e6b0f77917ff69"},
		{0xffffffff, "0000013c0f0cce2e56cc03a677d2194c23b868e963db595e1ef8a332c5d2bcabc9fcc82e2a50372a8c7066b57ed3cf2e1c6cc4464058f2a8441197c859bc26ad67a4af60e7d6c87d52465fb8158e87f206b436ae8f5c182988e29c9540e1a9d39730774b014b983d50f31e7e72d574991386cf599b45eeeb2020a989951194cf805e566369fe8cc240b67b4219a402a1c6f97d6bdcd56cda0db3df3afc3d94b6598460f8c0dd5fa6267ed7176a8d658c5c5973b3523a7ab19e7af845e57b624bc360600a071bb9dd43267448cef63fb9a59bfbabf679cdf5eed7ab6f45a27840c802e36ed7d7f5b3fb947cae8a213ad24fa80bb9d6842d2f5011d009a346d901de95479103e380cab6973b5f960d1209fdb30842c54b619caf8944115cd49356405c9e02cf667a01f6d803f33ccfe803db99cf5547ee8cdc8fb0982913ecbf71",
		 "02b9860d1b6498428c4168d853387772ba88f3720e0beeca5ed7cd36d899c896bc60ddb0c32724194919a10fa023f48cb9851b7f67d5ff832654d19c922204c9944ee4146f6cbe0e8948728d444a0875b18575e1d0044cc2d887eb54bbed4c3845fa203ca46ab1adbd7718a0212bae2ec90d7ec25b506af00d2d53fc6ba0f3582cc7718c6098ed457ccba5c605f5ddd4e97c0b3b94f45876c36dc044005993c174e96acfc1e80d7ee5937faf8f667819dabe441e653f9ebfcce3ab3c9cd5ca751294f5f65ba5c5867f7c86113e400ea08f8940c1e42b6efe93da1188f9114dec41b39e9b94a950547f0c3f205f6600d0c41a9ae1616295b330d80efb66ae0dcff717421f64f63a3c1a69b393081f6333b2c0ea78cd06da75561f286e37059153159e84b2e3f41c405782b60b46fa61b489060187a02aeec12d4c06736195c969eb3a18b86b22c643e66d812a92453aa1bdb35d31bdef32194025f58ce8f30c08"},
	}},
	{"aes256-ctr", "hmac-sha2-512", "5a9d124ceff85d112998dfaafb969530d7c907d45f0c4e2f24fdcd11d4197572", "d33488626b9dcab0fbe08f58fffffffe", "aa15b7da4ed26e65f47334542983638c005d9d503cc701164a216270c6c963cb7fa897569ac0eccedfee799ebeb619bfa7ed5e98fd73e0f39c8e0bfa0996685e", {
		{0x7, "0000000c065e9c607b2cb2365918beb7",
		 "ebd81d8c3d7a2e99c20ded1099beee181b3f1e3d5075b3851aa9b02cffec9abbab6a2daae20b14210419f14f140d47197175c2526188c46486ad9f636da9f49e29076594e317450fc6d7b3f79fa2328b"},
		{0x8, "0000003c131857c1d1cc6f0eb1994a5f089936493d80271a2fa74d2763ab54fc193b674ea50e4e5ee73ba98e2474ec57d6495b12d386686365c969ee03ad6d09",
		 "8dfe54a4fe2674bbad9c73c0a0c87703ddec020fbb23053414098f9ec56f3f20665ef50ce97da0c968dbe70e1751b1b6fe71e43776dd28e052818b978e74429761897fd75767e09a02eca5b3927f16365e9fc220be297e7f5ac978e7324a35720067c64cc49bc13d571599cfca6d5d77c2d317a44274b1cc5f2ba824dfaa2ce5"},
		{0xffffffff, "0000013c0f2082fab361b7f6a90bc1c34d5df500390b78cbb0d30e2e20b16492953c316186c638eb28f9dbc9e9443187cfa7daf53d3c8ff987330d8ce7070f6dab3b8600b713b1e9ecb6a84b05ff8433ff7e2fe9adf92a5203201a28d5272934561066dfd0ee6b137e051ece2a38babe4e9dc11ff54a9a5f316082681fe1cf6ac66f42194fd2b07dfb143109a34ee7032a73c5ed80bbaa2915e0942667aa8e41912eaae1e82a524bd332dfde5c734f4294cb0415b83163bb6a9680fbd222366392a1d2e85e733d9dba0024a3bfb8b69ad7b5645b9c8e7d3df71d7e19793a155f39718fac77fb7a883a54aedae2670dcca027e6b564688f8505173670354650c947a8f6c0926326e457fdde5be879051d6be732f358b367228e1f357fcdb47305920ff73758ba0bd7cf380d2bb3e8978726cfc3cf54d8f039fd48f9e7c549cd27",
		 "a0a6bdfa19e168dbdfc0f2287a9987a37f9afb8f861c925232a8c6062a75279294498a19cb5c92af102e0d2bc3fd3d212fad189a9b11069bd2866c0509203fa861b86f9b6f23f1062e85723403a5cb36a70ca13bc1049db82fe3e780ca17dbed7aaaa13a090351d1f9e2f944e8ca10c8f249abcd6e9ecef2d72ede2592f7d52cfd3b5d3313528168ad1dec94c7f93fc2ac3df35e24b42583301dc16eaf2678bd3f4a19aaca0512bff015ca7fd34f3ee95e53289f92fc82e247448241115ab1ee3c577965cca81d168f002492860df1556b5151779902cb14f4e187e10e811be2eeda8717eb94b5cefcc711ade3141beb1b39e5565b4ad70dd6f2e9707de235bed3514543dcf24f6622ffb243beebff523938be6dde7d02e4572b2ed0dd02d5d62fb15f2234e9e010d7138b4da12dd074e954b7e160c0600292a1cfe25210d99a0a0e06b531e24669311d9fa6e31b567643afb83ca9a85fdbb99e4337b731d392e4648929a2bd1727205461565860429d8dd758e429987a48fb1c0ce24628fdcc"},
	}},
};

static struct cipher_ctx *mk(const struct kat *k)
{
	uint8_t key[64], iv[16], mk_[64];
	unhex(k->key, key, sizeof(key));
	unhex(k->iv, iv, sizeof(iv));
	unhex(k->mackey, mk_, sizeof(mk_));
	const struct cipher_info *c = cipher_by_name(k->cipher);
	const struct mac_info *m = k->mac ? mac_by_name(k->mac) : NULL;
	if (!c || (k->mac && !m))
		return NULL;
	return cipher_ctx_new(c, key, iv, m, mk_);
}

/* What the transport does on receive: learn the length, then open. */
static int recv_packet(struct cipher_ctx *ctx, uint32_t seq, const uint8_t *wire, size_t len, struct buf *out)
{
	uint8_t first[16];
	uint32_t plen;
	buf_reset(out);
	if (buf_put(out, wire, len))
		return -100;
	if (len < cipher_first_len(ctx))
		return -101;
	int r = cipher_decrypt_length(ctx, seq, buf_rptr(out), first, &plen);
	if (r)
		return r;
	if ((size_t)plen + 4 + cipher_trailer_len(ctx) != len)
		return CIPHER_ERR_LENGTH;
	return cipher_open(ctx, seq, out);
}

TEST(names_and_sizes)
{
	CHECK(cipher_by_name("aes128-cbc") == NULL);
	CHECK(mac_by_name("hmac-sha1") == NULL);
	CHECK(cipher_by_name(NULL) == NULL);
	const struct cipher_info *c = cipher_by_name("chacha20-poly1305@openssh.com");
	CHECK(c && c->key_len == 64 && c->aead && c->tag_len == 16 && c->block_len == 8);
	CHECK_EQ_INT(cipher_block_len(NULL), 8);
	CHECK_EQ_INT(cipher_trailer_len(NULL), 0);
	CHECK(cipher_length_in_clear(NULL));
	/* every default name resolves */
	char list[] = CIPHER_NAMES_DEFAULT "," MAC_NAMES_DEFAULT;
	for (char *save = NULL, *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save))
		CHECK(cipher_by_name(t) || mac_by_name(t));
}

TEST(known_answers)
{
	uint8_t plain[1024], sealed[1024];
	for (size_t i = 0; i < ARRAY_LEN(kats); i++) {
		const struct kat *k = &kats[i];
		struct cipher_ctx *tx = mk(k), *rx = mk(k);
		CHECK(tx && rx);
		if (!tx || !rx)
			continue;
		struct buf b, r;
		buf_init(&b, 0);
		buf_init(&r, 0);
		for (int j = 0; j < 3; j++) {
			size_t pn = unhex(k->p[j].plain, plain, sizeof(plain));
			size_t sn = unhex(k->p[j].sealed, sealed, sizeof(sealed));
			buf_reset(&b);
			buf_put(&b, plain, pn);
			CHECK_EQ_INT(cipher_seal(tx, k->p[j].seqnr, &b), 0);
			int same = buf_avail(&b) == sn && memcmp(buf_rptr(&b), sealed, sn) == 0;
			if (!same)
				fprintf(stderr, "  %s %s packet %d: sealed bytes differ\n", k->cipher, k->mac ? k->mac : "", j);
			CHECK(same);
			int rc = recv_packet(rx, k->p[j].seqnr, sealed, sn, &r);
			if (rc)
				fprintf(stderr, "  %s %s packet %d: open -> %d\n", k->cipher, k->mac ? k->mac : "", j, rc);
			CHECK_EQ_INT(rc, 0);
			CHECK(buf_avail(&r) == pn && memcmp(buf_rptr(&r), plain, pn) == 0);
		}
		buf_free(&b);
		buf_free(&r);
		cipher_ctx_free(tx);
		cipher_ctx_free(rx);
	}
}

TEST(known_answers_portable)
{
	cipher_use_portable_impl(1);
	CHECK_STR(cipher_impl_name(), "aes-ct64 ghash-ctmul64");
	known_answers();
	cipher_use_portable_impl(0);
}

/* Builds [len][padlen][payload][padding] aligned for ctx. */
static void build_packet(struct buf *b, const struct cipher_ctx *ctx, size_t paylen, uint8_t fill)
{
	size_t bl = cipher_block_len(ctx);
	int aad = cipher_length_in_clear(ctx) || cipher_first_len(ctx) == 4;
	/* chacha: length is AAD (first_len 4, not in clear) */
	size_t pad = 4;
	while (((aad ? 0 : 4) + 1 + paylen + pad) % bl)
		pad++;
	buf_reset(b);
	buf_put_u32(b, (uint32_t)(1 + paylen + pad));
	buf_put_u8(b, (uint8_t)pad);
	uint8_t *p;
	buf_reserve(b, paylen + pad, &p);
	memset(p, fill, paylen);
	crypto_random(p + paylen, pad);
}

static const char *all_ciphers[] = {"chacha20-poly1305@openssh.com", "aes128-gcm@openssh.com", "aes256-gcm@openssh.com",
				    "aes128-ctr", "aes256-ctr"};
static const char *all_macs[] = {"hmac-sha2-256-etm@openssh.com", "hmac-sha2-512-etm@openssh.com", "hmac-sha2-256",
				 "hmac-sha2-512"};

struct pair {
	struct cipher_ctx *tx, *rx;
	const char *name;
};

static int make_pair(size_t ci, size_t mi, struct pair *pr, uint8_t *key, uint8_t *iv, uint8_t *mkey)
{
	const struct cipher_info *c = cipher_by_name(all_ciphers[ci]);
	const struct mac_info *m = c->aead ? NULL : mac_by_name(all_macs[mi]);
	pr->tx = cipher_ctx_new(c, key, iv, m, mkey);
	pr->rx = cipher_ctx_new(c, key, iv, m, mkey);
	pr->name = all_ciphers[ci];
	return pr->tx && pr->rx ? 0 : -1;
}

TEST(roundtrip_all)
{
	uint8_t key[64], iv[16], mkey[64];
	crypto_random(key, sizeof(key));
	crypto_random(iv, sizeof(iv));
	crypto_random(mkey, sizeof(mkey));
	for (size_t ci = 0; ci < ARRAY_LEN(all_ciphers); ci++) {
		for (size_t mi = 0; mi < ARRAY_LEN(all_macs); mi++) {
			struct pair pr;
			if (make_pair(ci, mi, &pr, key, iv, mkey)) {
				CHECK(0);
				continue;
			}
			struct buf b, plain, r;
			buf_init(&b, 0);
			buf_init(&plain, 0);
			buf_init(&r, 0);
			uint32_t seq = 0xfffffff0u;
			int bad = 0;
			for (size_t len = 0; len < 3000; len += 1 + len / 4, seq++) {
				build_packet(&b, pr.tx, len, (uint8_t)len);
				buf_reset(&plain);
				buf_put(&plain, buf_rptr(&b), buf_avail(&b));
				if (cipher_seal(pr.tx, seq, &b) != 0) {
					bad++;
					continue;
				}
				if (buf_avail(&b) != buf_avail(&plain) + cipher_trailer_len(pr.tx))
					bad++;
				if (recv_packet(pr.rx, seq, buf_rptr(&b), buf_avail(&b), &r) != 0 ||
				    buf_avail(&r) != buf_avail(&plain) ||
				    memcmp(buf_rptr(&r), buf_rptr(&plain), buf_avail(&r)) != 0)
					bad++;
			}
			if (bad)
				fprintf(stderr, "  %s/%s: %d bad round trips\n", all_ciphers[ci], all_macs[mi], bad);
			CHECK_EQ_INT(bad, 0);
			buf_free(&b);
			buf_free(&plain);
			buf_free(&r);
			cipher_ctx_free(pr.tx);
			cipher_ctx_free(pr.rx);
			if (cipher_by_name(all_ciphers[ci])->aead)
				break;
		}
	}
}

TEST(tamper_detected)
{
	uint8_t key[64], iv[16], mkey[64];
	crypto_random(key, sizeof(key));
	crypto_random(iv, sizeof(iv));
	crypto_random(mkey, sizeof(mkey));
	for (size_t ci = 0; ci < ARRAY_LEN(all_ciphers); ci++) {
		for (size_t mi = 0; mi < ARRAY_LEN(all_macs); mi++) {
			struct pair pr;
			if (make_pair(ci, mi, &pr, key, iv, mkey)) {
				CHECK(0);
				continue;
			}
			struct buf b, r;
			buf_init(&b, 0);
			buf_init(&r, 0);
			build_packet(&b, pr.tx, 37, 0x41);
			CHECK_EQ_INT(cipher_seal(pr.tx, 5, &b), 0);
			size_t n = buf_avail(&b);
			uint8_t wire[512];
			memcpy(wire, buf_rptr(&b), n);
			cipher_ctx_free(pr.rx);
			int accepted = 0, notmac = 0;
			for (size_t pos = 0; pos < n; pos++) {
				for (int bit = 0; bit < 8; bit += 3) {
					struct cipher_ctx *rx = cipher_ctx_new(
					    cipher_by_name(all_ciphers[ci]), key, iv,
					    cipher_by_name(all_ciphers[ci])->aead ? NULL : mac_by_name(all_macs[mi]), mkey);
					wire[pos] ^= (uint8_t)(1u << bit);
					int rc = recv_packet(rx, 5, wire, n, &r);
					wire[pos] ^= (uint8_t)(1u << bit);
					if (rc == 0)
						accepted++;
					/* Outside the length field the answer must be MAC failure. */
					else if (pos >= 4 && rc != CIPHER_ERR_MAC)
						notmac++;
					cipher_ctx_free(rx);
				}
			}
			/* a wrong sequence number fails too (GCM does not use it: its
			 * nonce is the IV's invocation counter) */
			struct cipher_ctx *rx = cipher_ctx_new(cipher_by_name(all_ciphers[ci]), key, iv,
							       cipher_by_name(all_ciphers[ci])->aead ? NULL : mac_by_name(all_macs[mi]), mkey);
			int rc = recv_packet(rx, 6, wire, n, &r);
			CHECK(rc < 0 || strstr(all_ciphers[ci], "gcm"));
			cipher_ctx_free(rx);
			if (accepted || notmac)
				fprintf(stderr, "  %s/%s: %d tampered accepted, %d not MAC errors\n", all_ciphers[ci],
					all_macs[mi], accepted, notmac);
			CHECK_EQ_INT(accepted, 0);
			CHECK_EQ_INT(notmac, 0);
			/* truncated tag: length mismatch */
			CHECK(recv_packet(rx = cipher_ctx_new(cipher_by_name(all_ciphers[ci]), key, iv,
							      cipher_by_name(all_ciphers[ci])->aead ? NULL : mac_by_name(all_macs[mi]), mkey),
					  5, wire, n - 1, &r) < 0);
			cipher_ctx_free(rx);
			buf_free(&b);
			buf_free(&r);
			cipher_ctx_free(pr.tx);
			if (cipher_by_name(all_ciphers[ci])->aead)
				break;
		}
	}
}

TEST(bad_lengths)
{
	uint8_t key[64] = {1}, iv[16] = {2}, mkey[64] = {3};
	struct cipher_ctx *g = cipher_ctx_new(cipher_by_name("aes128-gcm@openssh.com"), key, iv, NULL, NULL);
	uint8_t first[16] = {0, 0, 0, 17}, fp[16];
	uint32_t plen;
	CHECK_EQ_INT(cipher_decrypt_length(g, 0, first, fp, &plen), CIPHER_ERR_LENGTH);
	CHECK_EQ_INT(plen, 17);
	first[3] = 32;
	CHECK_EQ_INT(cipher_decrypt_length(g, 0, first, fp, &plen), 0);
	/* seal refuses a misaligned packet */
	struct buf b;
	buf_init(&b, 0);
	buf_put_u32(&b, 9);
	uint8_t *p;
	buf_reserve(&b, 9, &p);
	memset(p, 0, 9);
	CHECK_EQ_INT(cipher_seal(g, 0, &b), CIPHER_ERR_INTERNAL);
	buf_free(&b);
	cipher_ctx_free(g);
	/* missing MAC for a non-AEAD cipher */
	CHECK(cipher_ctx_new(cipher_by_name("aes128-ctr"), key, iv, NULL, NULL) == NULL);
	struct cipher_ctx *c = cipher_ctx_new(cipher_by_name("aes128-ctr"), key, iv, mac_by_name("hmac-sha2-256"), mkey);
	CHECK_EQ_INT(cipher_first_len(c), 16);
	CHECK(!cipher_length_in_clear(c));
	cipher_ctx_free(c);
	cipher_ctx_free(NULL);
}

TEST(throughput)
{
	/* Informational: MiB/s of seal+open with 32 KiB packets. */
	uint8_t key[64], iv[16], mkey[64];
	crypto_random(key, sizeof(key));
	crypto_random(iv, sizeof(iv));
	crypto_random(mkey, sizeof(mkey));
	const char *e = getenv("SSHBOX_CIPHER_BENCH_MB");
	size_t mb = e ? (size_t)atoi(e) : 16;
	for (size_t ci = 0; ci < ARRAY_LEN(all_ciphers); ci++) {
		for (size_t mi = 0; mi < ARRAY_LEN(all_macs); mi++) {
			struct pair pr;
			if (make_pair(ci, mi, &pr, key, iv, mkey))
				continue;
			struct buf b;
			buf_init(&b, 0);
			struct timespec t0, t1;
			clock_gettime(CLOCK_MONOTONIC, &t0);
			size_t n = mb * 32, bad = 0;
			for (size_t i = 0; i < n; i++) {
				build_packet(&b, pr.tx, 32768 - 64, 0);
				if (cipher_seal(pr.tx, (uint32_t)i, &b))
					bad++;
				uint8_t fp[16];
				uint32_t plen;
				if (cipher_decrypt_length(pr.rx, (uint32_t)i, buf_rptr(&b), fp, &plen) ||
				    cipher_open(pr.rx, (uint32_t)i, &b))
					bad++;
			}
			clock_gettime(CLOCK_MONOTONIC, &t1);
			double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
			fprintf(stderr, "  %-30s %-30s %7.0f MiB/s (seal+open)\n", all_ciphers[ci],
				cipher_by_name(all_ciphers[ci])->aead ? "" : all_macs[mi], (double)mb / s);
			CHECK_EQ_INT(bad, 0);
			buf_free(&b);
			cipher_ctx_free(pr.tx);
			cipher_ctx_free(pr.rx);
			if (cipher_by_name(all_ciphers[ci])->aead)
				break;
		}
	}
}

int main(void)
{
	if (crypto_init() != 0)
		return 2;
	RUN(names_and_sizes);
	RUN(known_answers);
	RUN(known_answers_portable);
	RUN(roundtrip_all);
	RUN(tamper_detected);
	RUN(bad_lengths);
	fprintf(stderr, "  implementation: %s\n", cipher_accel_summary());
	RUN(throughput);
	return t_done();
}
