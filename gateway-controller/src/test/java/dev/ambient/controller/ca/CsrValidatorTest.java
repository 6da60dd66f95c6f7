package dev.ambient.controller.ca;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ambient.api.spiffe.SpiffeId;
import org.junit.jupiter.api.Test;

class CsrValidatorTest {
  private final CsrValidator validator = new CsrValidator("cluster.local");
  private final String web = "spiffe://cluster.local/ns/default/sa/web";

  @Test
  void acceptsP256P384AndRsa2048() throws Exception {
    for (var key :
        new java.security.KeyPair[] {
          TestCsrs.ec("secp256r1"), TestCsrs.ec("secp384r1"), TestCsrs.rsa(2048)
        }) {
      ValidatedCsr v = validator.validate(TestCsrs.pem(key, TestCsrs.uri(web)));
      assertThat(v.identity()).isEqualTo(SpiffeId.parse(web));
      assertThat(v.publicKey().getEncoded()).isEqualTo(key.getPublic().getEncoded());
    }
  }

  @Test
  void rejectsEmailSanAndNulInUri() throws Exception {
    var key = TestCsrs.ec("secp256r1");
    assertThatThrownBy(
            () ->
                validator.validate(
                    TestCsrs.pem(
                        key,
                        TestCsrs.uri(web),
                        new org.bouncycastle.asn1.x509.GeneralName(
                            org.bouncycastle.asn1.x509.GeneralName.rfc822Name, "a@b.c"))))
        .isInstanceOf(CsrRejectedException.class)
        .hasMessage("CSR: subjectAltName: email SAN not allowed, only 1 URI SAN");
    assertThatThrownBy(
            () -> validator.validate(TestCsrs.pem(key, TestCsrs.uri(web + "\u0000.evil"))))
        .isInstanceOf(CsrRejectedException.class)
        .hasMessageContaining("not a valid SPIFFE ID");
    assertThatThrownBy(() -> validator.validate(""))
        .isInstanceOf(CsrRejectedException.class)
        .hasMessage("CSR: field csr is empty");
  }
}
