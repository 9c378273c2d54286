// node esdk-js.js encrypt|decrypt KEYFILE IN OUT: the AWS Encryption SDK for JavaScript, streaming,
// suite 0x0478, 64 KiB frames, raw AES keyring (namespace phicrypto, name raw): same format as phicrypt.
'use strict'
const path = require('path')
const fs = require('fs')
const { pipeline } = require('stream/promises')
const sdk = require(path.join(__dirname, '../../tests/interop-js/node_modules/@aws-crypto/client-node'))

async function main () {
  const [mode, keyFile, input, output] = process.argv.slice(2)
  const keyring = new sdk.RawAesKeyringNode({
    keyName: 'raw', keyNamespace: 'phicrypto',
    unencryptedMasterKey: new Uint8Array(fs.readFileSync(keyFile)),
    wrappingSuite: sdk.RawAesWrappingSuiteIdentifier.AES256_GCM_IV12_TAG16_NO_PADDING
  })
  const client = sdk.buildClient(sdk.CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT)
  const transform = mode === 'encrypt'
    ? client.encryptStream(keyring, { suiteId: sdk.AlgorithmSuiteIdentifier.ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY, frameLength: 65536 })
    : client.decryptStream(keyring)
  await pipeline(fs.createReadStream(input, { highWaterMark: 1 << 20 }), transform, fs.createWriteStream(output))
}

main().catch(e => { console.error(e.message); process.exit(1) })
