namespace PhiCrypto.Pkcs11;
