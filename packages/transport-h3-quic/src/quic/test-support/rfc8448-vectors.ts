/**
 * RFC 8448 §3 "Simple 1-RTT Handshake" (TLS_AES_128_GCM_SHA256, x25519), transcribed from the
 * RFC text: the handshake messages as they enter the transcript, and the secrets the trace
 * prints. Message lengths are checked by the tests, since a transcription slip in one byte
 * would change every hash after it.
 *
 * @packageDocumentation
 */

/** The ephemeral x25519 keys of both sides. */
export const keys = {
  clientPrivate: "49af42ba7f7994852d713ef2784bcbcaa7911de26adc5642cb634540e7ea5005",
  clientPublic: "99381de560e4bd43d23d8e435a7dbafeb3c06e51c13cae4d5413691e529aaf2c",
  serverPrivate: "b1580eeadf6dd589b8ef4f2d5652578cc810e9980191ec8d058308cea216a21e",
  serverPublic: "c9828876112095fe66762bdbf7c672e156d6cc253b833df1dd69b1b04e751f0f",
} as const;

/** The handshake messages with their 4-byte headers, and their lengths as the trace states them. */
export const messages = {
  clientHello: {
    length: 196,
    hex: `
      01 00 00 c0 03 03 cb 34 ec b1 e7 81 63 ba 1c 38 c6 da cb 19 6a 6d
      ff a2 1a 8d 99 12 ec 18 a2 ef 62 83 02 4d ec e7 00 00 06 13 01 13
      03 13 02 01 00 00 91 00 00 00 0b 00 09 00 00 06 73 65 72 76 65 72
      ff 01 00 01 00 00 0a 00 14 00 12 00 1d 00 17 00 18 00 19 01 00 01
      01 01 02 01 03 01 04 00 23 00 00 00 33 00 26 00 24 00 1d 00 20 99
      38 1d e5 60 e4 bd 43 d2 3d 8e 43 5a 7d ba fe b3 c0 6e 51 c1 3c ae
      4d 54 13 69 1e 52 9a af 2c 00 2b 00 03 02 03 04 00 0d 00 20 00 1e
      04 03 05 03 06 03 02 03 08 04 08 05 08 06 04 01 05 01 06 01 02 01
      04 02 05 02 06 02 02 02 00 2d 00 02 01 01 00 1c 00 02 40 01`,
  },
  serverHello: {
    length: 90,
    hex: `
      02 00 00 56 03 03 a6 af 06 a4 12 18 60 dc 5e 6e 60 24 9c d3 4c 95
      93 0c 8a c5 cb 14 34 da c1 55 77 2e d3 e2 69 28 00 13 01 00 00 2e
      00 33 00 24 00 1d 00 20 c9 82 88 76 11 20 95 fe 66 76 2b db f7 c6
      72 e1 56 d6 cc 25 3b 83 3d f1 dd 69 b1 b0 4e 75 1f 0f 00 2b 00 02
      03 04`,
  },
  encryptedExtensions: {
    length: 40,
    hex: `
      08 00 00 24 00 22 00 0a 00 14 00 12 00 1d 00 17 00 18 00 19 01 00
      01 01 01 02 01 03 01 04 00 1c 00 02 40 01 00 00 00 00`,
  },
  certificate: {
    length: 445,
    hex: `
      0b 00 01 b9 00 00 01 b5 00 01 b0 30 82 01 ac 30 82 01 15 a0 03 02
      01 02 02 01 02 30 0d 06 09 2a 86 48 86 f7 0d 01 01 0b 05 00 30 0e
      31 0c 30 0a 06 03 55 04 03 13 03 72 73 61 30 1e 17 0d 31 36 30 37
      33 30 30 31 32 33 35 39 5a 17 0d 32 36 30 37 33 30 30 31 32 33 35
      39 5a 30 0e 31 0c 30 0a 06 03 55 04 03 13 03 72 73 61 30 81 9f 30
      0d 06 09 2a 86 48 86 f7 0d 01 01 01 05 00 03 81 8d 00 30 81 89 02
      81 81 00 b4 bb 49 8f 82 79 30 3d 98 08 36 39 9b 36 c6 98 8c 0c 68
      de 55 e1 bd b8 26 d3 90 1a 24 61 ea fd 2d e4 9a 91 d0 15 ab bc 9a
      95 13 7a ce 6c 1a f1 9e aa 6a f9 8c 7c ed 43 12 09 98 e1 87 a8 0e
      e0 cc b0 52 4b 1b 01 8c 3e 0b 63 26 4d 44 9a 6d 38 e2 2a 5f da 43
      08 46 74 80 30 53 0e f0 46 1c 8c a9 d9 ef bf ae 8e a6 d1 d0 3e 2b
      d1 93 ef f0 ab 9a 80 02 c4 74 28 a6 d3 5a 8d 88 d7 9f 7f 1e 3f 02
      03 01 00 01 a3 1a 30 18 30 09 06 03 55 1d 13 04 02 30 00 30 0b 06
      03 55 1d 0f 04 04 03 02 05 a0 30 0d 06 09 2a 86 48 86 f7 0d 01 01
      0b 05 00 03 81 81 00 85 aa d2 a0 e5 b9 27 6b 90 8c 65 f7 3a 72 67
      17 06 18 a5 4c 5f 8a 7b 33 7d 2d f7 a5 94 36 54 17 f2 ea e8 f8 a5
      8c 8f 81 72 f9 31 9c f3 6b 7f d6 c5 5b 80 f2 1a 03 01 51 56 72 60
      96 fd 33 5e 5e 67 f2 db f1 02 70 2e 60 8c ca e6 be c1 fc 63 a4 2a
      99 be 5c 3e b7 10 7c 3c 54 e9 b9 eb 2b d5 20 3b 1c 3b 84 e0 a8 b2
      f7 59 40 9b a3 ea c9 d9 1d 40 2d cc 0c c8 f8 96 12 29 ac 91 87 b4
      2b 4d e1 00 00`,
  },
  certificateVerify: {
    length: 136,
    hex: `
      0f 00 00 84 08 04 00 80 5a 74 7c 5d 88 fa 9b d2 e5 5a b0 85 a6 10
      15 b7 21 1f 82 4c d4 84 14 5a b3 ff 52 f1 fd a8 47 7b 0b 7a bc 90
      db 78 e2 d3 3a 5c 14 1a 07 86 53 fa 6b ef 78 0c 5e a2 48 ee aa a7
      85 c4 f3 94 ca b6 d3 0b be 8d 48 59 ee 51 1f 60 29 57 b1 54 11 ac
      02 76 71 45 9e 46 44 5c 9e a5 8c 18 1e 81 8e 95 b8 c3 fb 0b f3 27
      84 09 d3 be 15 2a 3d a5 04 3e 06 3d da 65 cd f5 ae a2 0d 53 df ac
      d4 2f 74 f3`,
  },
  serverFinished: {
    length: 36,
    hex: `
      14 00 00 20 9b 9b 14 1d 90 63 37 fb d2 cb dc e7 1d f4 de da 4a b4
      2c 30 95 72 cb 7f ff ee 54 54 b7 8f 07 18`,
  },
  clientFinished: {
    length: 36,
    hex: `
      14 00 00 20 a8 ec 43 6d 67 76 34 ae 52 5a c1 fc eb e1 1a 03 9e c1
      76 94 fa c6 e9 85 27 b6 42 f2 ed d5 ce 61`,
  },
  /** Sent by the server after the handshake, under the application traffic keys. */
  newSessionTicket: {
    length: 205,
    hex: `
      04 00 00 c9 00 00 00 1e fa d6 aa c5 02 00 00 00 b2 2c 03 5d 82 93 59
      ee 5f f7 af 4e c9 00 00 00 00 26 2a 64 94 dc 48 6d 2c 8a 34 cb 33 fa
      90 bf 1b 00 70 ad 3c 49 88 83 c9 36 7c 09 a2 be 78 5a bc 55 cd 22 60
      97 a3 a9 82 11 72 83 f8 2a 03 a1 43 ef d3 ff 5d d3 6d 64 e8 61 be 7f
      d6 1d 28 27 db 27 9c ce 14 50 77 d4 54 a3 66 4d 4e 6d a4 d2 9e e0 37
      25 a6 a4 da fc d0 fc 67 d2 ae a7 05 29 51 3e 3d a2 67 7f a5 90 6c 5b
      3f 7d 8f 92 f2 28 bd a4 0d da 72 14 70 f9 fb f2 97 b5 ae a6 17 64 6f
      ac 5c 03 27 2e 97 07 27 c6 21 a7 91 41 ef 5f 7d e6 50 5e 5b fb c3 88
      e9 33 43 69 40 93 93 4a e4 d3 57 00 08 00 2a 00 04 00 00 04 00`,
  },
} as const;

/** The secrets and hashes the trace prints, in the order the key schedule makes them. */
export const secrets = {
  early: "33ad0a1c607ec03b09e6cd9893680ce2 10adf300aa1f2660e1b22e10f170f92a",
  derivedForHandshake: "6f2615a108c702c5678f54fc9dbab697 16c076189c48250cebeac3576c3611ba",
  sharedSecret: "8bd4054fb55b9d63fdfbacf9f04b9f0d 35e6d63f537563efd46272900f89492d",
  handshake: "1dc826e93606aa6fdc0aadc12f741b01 046aa6b99f691ed221a9f0ca043fbeac",
  helloHash: "860c06edc07858ee8e78f0e7428c58ed d6b43f2ca3e6e95f02ed063cf0e1cad8",
  clientHandshakeTraffic: "b3eddb126e067f35a780b3abf45e2d8f 3b1a950738f52e9600746a0e27a55a21",
  serverHandshakeTraffic: "b67b7d690cc16c4e75e54213cb2d37b4 e9c912bcded9105d42befd59d391ad38",
  clientFinishedKey: "b80ad01015fb2f0bd65ff7d4da5d6bf8 3f84821d1f87fdc7d3c75b5a7b42d9c4",
  serverFinishedKey: "008d3b66f816ea559f96b537e885c31f c068bf492c652f01f288a1d8cdc19fc8",
  derivedForMaster: "43de77e0c77713859a944db9db2590b5 3190a65b3ee2e4f12dd7a0bb7ce254b4",
  master: "18df06843d13a08bf2a449844c5f8a47 8001bc4d4c627984d5a41da8d0402919",
  serverFinishedHash: "9608102a0f1ccc6db6250b7b7e417b1a 000eaada3daae4777a7686c9ff83df13",
  clientApplicationTraffic: "9e40646ce79a7f9dc05af8889bce6552 875afa0b06df0087f792ebb7c17504a5",
  serverApplicationTraffic: "a11af9f05531f856ad47116b45a95032 8204b4f44bfb6b3a4b4f1f3fcb631643",
  exporterMaster: "fe22f881176eda18eb8f44529e6792c5 0c9a3f89452f68d8ae311b4309d3cf50",
  clientFinishedHash: "209145a96ee8e2a122ff810047cc9526 84658d6049e86429426db87c54ad143d",
  resumptionMaster: "7df235f2031d2a051287d02b0241b0bf daf86cc856231f2d5aba46c434ec196c",
  /** The PSK of the NewSessionTicket: "resumption" expanded from res master with the ticket's nonce 00 00. */
  ticketPsk: "4ecd0eb6ec3b4d87f5d6028f922ca4c5 851a277fd41311c9e62d2c9492e1c4f3",
  /** The info RFC 8448 prints for the "c hs traffic" expansion (54 octets). */
  clientHandshakeTrafficInfo: `
    00 20 12 74 6c 73 31 33 20 63 20 68 73 20 74 72 61 66 66 69 63 20
    86 0c 06 ed c0 78 58 ee 8e 78 f0 e7 42 8c 58 ed d6 b4 3f 2c a3 e6
    e9 5f 02 ed 06 3c f0 e1 ca d8`,
  /** The info RFC 8448 prints for the "finished" expansions (18 octets). */
  finishedInfo: "00 20 0e 74 6c 73 31 33 20 66 69 6e 69 73 68 65 64 00",
} as const;

/**
 * The Illustrated TLS 1.3 Connection (tls13.xargs.org), which negotiates TLS_AES_256_GCM_SHA384:
 * RFC 8448 has no SHA-384 trace, and this published one is the de facto SHA-384 vector.
 */
export const sha384 = {
  clientPrivate: "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f",
  serverPublic: "9fd7ad6dcff4298dd3f96d5b1b2af910a0535b1488d7f8fabb349a982880b615",
  sharedSecret: "df4a291baa1eb7cfa6934b29b474baad2697e29f1f920dcc77c8a0a088447624",
  early: "7ee8206f5570023e6dc7519eb1073bc4e791ad37b5c382aa10ba18e2357e716971f9362f2c2fe2a76bfd78dfec4ea9b5",
  emptyHash:
    "38b060a751ac96384cd9327eb1b1e36a21fdb71114be07434c0cc7bf63f6e1da274edebfe76f65fbd51ad2f14898b95b",
  derived: "1591dac5cbbf0330a4a84de9c753330e92d01f0a88214b4464972fd668049e93e52f2b16fad922fdc0584478428f282b",
  helloHash:
    "e05f64fcd082bdb0dce473adf669c2769f257a1c75a51b7887468b5e0e7a7de4f4d34555112077f16e079019d5a845bd",
  handshake:
    "bdbbe8757494bef20de932598294ea65b5e6bf6dc5c02a960a2de2eaa9b07c929078d2caa0936231c38d1725f179d299",
  clientHandshakeTraffic:
    "db89d2d6df0e84fed74a2288f8fd4d0959f790ff23946cdf4c26d85e51bebd42ae184501972f8d30c4a3e4a3693d0ef0",
  serverHandshakeTraffic:
    "23323da031634b241dd37d61032b62a4f450584d1f7f47983ba2f7cc0cdcc39a68f481f2b019f9403a3051908a5d1622",
  serverHandshakeKey: "9f13575ce3f8cfc1df64a77ceaffe89700b492ad31b4fab01c4792be1b266b7f",
  serverHandshakeIv: "9563bc8b590f671f488d2da3",
  clientHandshakeKey: "1135b4826a9a70257e5a391ad93093dfd7c4214812f493b3e3daae1eb2b1ac69",
  clientHandshakeIv: "4256d2e0e88babdd05eb2f27",
} as const;
