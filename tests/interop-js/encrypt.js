// node encrypt.js --key K --namespace NS --name N --suite ALG_... --frame BYTES --context JSON --in P --out C
// Encrypts with the AWS Encryption SDK for JavaScript, streaming (no plaintextLength given).
'use strict'
const fs = require('fs')
const { pipeline } = require('stream/promises')
const { buildClient, CommitmentPolicy, AlgorithmSuiteIdentifier } = require('@aws-crypto/client-node')
const { args, keyring } = require('./common')

async function main () {
  const a = args()
  const suiteId = AlgorithmSuiteIdentifier[a.suite]
  if (suiteId === undefined) throw new Error(`unknown suite name ${a.suite}`)
  const { encryptStream } = buildClient(CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT)
  await pipeline(
    fs.createReadStream(a.in),
    encryptStream(keyring(a), { suiteId, frameLength: Number(a.frame || 4096), encryptionContext: JSON.parse(a.context || '{}') }),
    fs.createWriteStream(a.out)
  )
}

main().catch(e => { console.error(e.message); process.exit(1) })
