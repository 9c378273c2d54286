// Shared argument parsing and keyring construction for the interop scripts.
'use strict'
const fs = require('fs')
const crypto = require('crypto')
const { RawAesKeyringNode, RawAesWrappingSuiteIdentifier, RawRsaKeyringNode } = require('@aws-crypto/client-node')

function args () {
  const out = {}
  const argv = process.argv.slice(2)
  for (let i = 0; i < argv.length; i += 2) {
    if (!argv[i].startsWith('--')) throw new Error(`unexpected argument ${argv[i]}`)
    out[argv[i].slice(2)] = argv[i + 1]
  }
  return out
}

// --key FILE (32 raw bytes) with --namespace/--name, or --rsa-private PEM with --namespace/--name.
function keyring (a) {
  if (a['rsa-private']) {
    return new RawRsaKeyringNode({
      keyName: a.name,
      keyNamespace: a.namespace,
      rsaKey: { privateKey: fs.readFileSync(a['rsa-private'], 'utf8') },
      padding: crypto.constants.RSA_PKCS1_OAEP_PADDING,
      oaepHash: 'sha256'
    })
  }
  return new RawAesKeyringNode({
    keyName: a.name || 'raw',
    keyNamespace: a.namespace || 'phicrypto',
    unencryptedMasterKey: new Uint8Array(fs.readFileSync(a.key)),
    wrappingSuite: RawAesWrappingSuiteIdentifier.AES256_GCM_IV12_TAG16_NO_PADDING
  })
}

module.exports = { args, keyring }
