// node decrypt.js --key K --namespace NS --name N --in C --out P   (or --rsa-private PEM instead of --key)
// Decrypts with the AWS Encryption SDK for JavaScript; prints {"suite":..,"frameLength":..,"context":{..}}.
'use strict'
const fs = require('fs')
const { pipeline } = require('stream/promises')
const { buildClient, CommitmentPolicy } = require('@aws-crypto/client-node')
const { args, keyring } = require('./common')

async function main () {
  const a = args()
  const { decryptStream } = buildClient(CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT)
  let header
  const stream = decryptStream(keyring(a)).once('MessageHeader', h => { header = h })
  await pipeline(fs.createReadStream(a.in), stream, fs.createWriteStream(a.out))
  console.log(JSON.stringify({ suite: header.suiteId, frameLength: header.frameLength, context: header.encryptionContext }))
}

main().catch(e => { console.error(e.message); process.exit(1) })
